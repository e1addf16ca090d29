// Main stage of the ensure-post-steps test action: does nothing.
