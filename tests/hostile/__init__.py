"""Hostile notebooks for the sandbox, and a harness that runs cell sources in a box."""
