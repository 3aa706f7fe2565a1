"""Backups of the whole database with a manifest that pins the audit chain, and verified restores."""
