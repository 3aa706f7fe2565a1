"""Chain of custody: hand-overs of containers between named people."""
