"""Therapies: the chain-of-identity record of each recipient's course of treatment."""
