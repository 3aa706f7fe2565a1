"""Qualifications: what each activity needs, who holds it until when, and the training matrix."""
