"""Plumbing shared by the apps (API parsing, errors, pagination, schema hooks)."""
