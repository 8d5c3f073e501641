"""Where state is kept: conversations, feedback and unanswered questions in SQLite, and retention."""
