"""Lots (the batch record) and their containers."""
