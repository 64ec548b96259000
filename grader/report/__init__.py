"""Reporters: results in, text/HTML/XML out. Results never render themselves."""
