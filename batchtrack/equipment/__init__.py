"""Equipment: instruments with calibration due dates, and their use at processing steps."""
