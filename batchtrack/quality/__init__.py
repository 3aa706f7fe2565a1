"""Quality control: release specifications as versioned data, QC samples and results evaluated on entry."""
