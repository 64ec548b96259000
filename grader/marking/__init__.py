"""`grader mark OUT`: manual criteria marked in a local web page, one criterion across the class.

answers.py finds each student's answer to a criterion in their notebook, store.py keeps the
rubric items and marks in the run's gradebook (SQLite, append-only), server.py serves the page
(Flask, 127.0.0.1 only, a token on every request), cli.py is the command.
"""
