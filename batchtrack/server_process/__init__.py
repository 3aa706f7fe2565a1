"""Tuning of a server process, done once before its threads start: processor placement and heap arenas."""
