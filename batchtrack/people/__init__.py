"""People's names as they write them (Hangul at the first site) and as they are romanised."""
