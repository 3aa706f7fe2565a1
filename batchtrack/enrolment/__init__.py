"""Enrolment: recipients, donors, consent, weights, allergies and signed eligibility."""
