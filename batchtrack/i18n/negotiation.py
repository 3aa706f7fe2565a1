"""Which language a request is answered in (pure): the user's choice, else the browser's, else the site's."""

from __future__ import annotations

LANGUAGES = ("ko", "en")
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}
LANGUAGE_COOKIE = "lang"


def supported(language: str | None) -> str | None:
    """`language` if it is one the product speaks (its primary subtag, case ignored), else None."""
    if not language:
        return None
    primary = language.strip().split("-", 1)[0].split("_", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (RFC 9110 quality values), else None."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((header or "").split(",")[:32]):
        tag, _sep, params = part.strip().partition(";")
        language = supported(tag)
        if language is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (-quality, position, language)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def choose(*, profile: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language to answer in: the signed-in user's profile, else the language chosen on this browser (the
    switch on every page), else the browser's Accept-Language, else the site's default."""
    return (supported(profile) or supported(cookie) or from_accept_language(accept_language)
            or supported(default) or LANGUAGES[-1])
