"""Points from check results: pure functions, no I/O."""
