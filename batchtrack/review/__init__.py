"""Review of the records: the audit trail read and exported, a lot's record reviewed by exception before release, and
the periodic access review."""
