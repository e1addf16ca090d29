// Main stage: does nothing (the post stage fails).
