"""Clinical protocols as data: eligibility criteria and the operating limits the chain enforces."""
