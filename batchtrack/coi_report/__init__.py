"""The chain-of-identity report of a therapy: identifiers, hand-overs, labels, signatures, deviations, in order."""
