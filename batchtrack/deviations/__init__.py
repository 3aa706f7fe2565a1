"""Deviations: opened on a lot by a person or by an out-of-limit value; an open one holds the lot."""
