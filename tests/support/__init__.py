"""Helpers shared by tests (real SIP phones for end-to-end tests, ...)."""
