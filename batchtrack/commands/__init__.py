"""The groups of the `batchtrack` command, one module each; `batchtrack/cli.py` assembles them."""
