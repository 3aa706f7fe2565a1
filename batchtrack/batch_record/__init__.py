"""The batch record of a lot: assembled from its steps, shown as a page with a growth curve, exported as PDF."""
