"""Identifiers of the chain of identity: DIN, COI identifier, ISO 7064 check characters."""
