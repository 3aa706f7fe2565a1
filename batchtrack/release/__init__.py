"""QA release: the release gate, signed decisions, release pending sterility, certificates and clinic alerts."""
