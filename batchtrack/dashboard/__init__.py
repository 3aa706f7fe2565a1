"""The dashboard: therapies and lots by state, and search by any identifier."""
