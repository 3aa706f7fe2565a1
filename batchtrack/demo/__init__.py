"""The demonstration facility: one user per role and one subject walked through the whole chain."""
