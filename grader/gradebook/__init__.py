"""The gradebook: every graded submission in SQLite, and the exports derived from it."""
