"""Where a message is answered: the core pipeline, conversation memory, pacing and small talk."""
