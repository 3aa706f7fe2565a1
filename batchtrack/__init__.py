"""batchtrack: chain of identity and custody for patient-specific cell-therapy lots."""

__version__ = "0.1.0"
