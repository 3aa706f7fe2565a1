"""Collections: the marrow aspirate, from scheduling to receipt at the lab."""
