"""Each role's work: what is due, by when, and why it cannot be done yet."""
