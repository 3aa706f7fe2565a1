"""Material lots: receipt, QA release, use at processing steps, and recall queries."""
