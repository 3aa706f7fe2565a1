"""Accounts: administering users, roles, passwords and API tokens; a user's own password and sessions."""
