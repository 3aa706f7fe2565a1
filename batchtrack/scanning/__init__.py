"""Scanning: clean what a scanner typed, undo keyboard-layout damage, parse, compare, and give a verdict.

The HTTP layer calls `parser.parse_scan`, resolves the parsed scan through the database (using
`parser.identity_of`), then `verdict.judge` (which calls `expectations.compare`); a refusal from
`parse_scan` goes to `verdict.refused`. Everything here is pure: no database, no HTTP.
"""
