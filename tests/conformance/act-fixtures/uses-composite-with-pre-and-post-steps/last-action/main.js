// Main stage: does nothing; the post stage checks the order the other actions ran in.
