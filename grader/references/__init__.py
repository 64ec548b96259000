"""Trusted reference implementations, computed in the grader process, never in a kernel."""
