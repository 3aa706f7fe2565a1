"""The command line's language (pure): the one asked for, else the shell's, else the site's; and how much room text
takes on a terminal, where a Hangul syllable takes two columns.

The order is the one the pages follow, for a terminal: `--language` (the user's choice for this run), else
BATCHTRACK_LANGUAGE (their choice for this shell), else the POSIX locale of the shell, else the site's default
(BATCHTRACK_DEFAULT_LANGUAGE). A value the product does not speak is passed over, as a browser's is.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from batchtrack.i18n.negotiation import LANGUAGES, supported

LANGUAGE_VARIABLE = "BATCHTRACK_LANGUAGE"
# As POSIX reads them: the first one set is the locale of messages (LC_ALL overrides LC_MESSAGES, which overrides LANG).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def from_locale(environ: Mapping[str, str]) -> str | None:
    """The language of the shell's locale of messages ("ko_KR.UTF-8" -> "ko"), else None.

    The C and POSIX locales name no language (containers and bare servers run in them unless told otherwise), so
    they choose nothing, as a locale of a language the product does not speak chooses nothing.
    """
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            # language[_territory][.codeset][@modifier]
            return supported(value.partition(".")[0].partition("@")[0])
    return None


def choose(*, asked: str | None, environ: Mapping[str, str], default: str) -> str:
    """The language a command speaks: the one asked for on its command line, else BATCHTRACK_LANGUAGE, else the
    shell's locale, else the site's default."""
    return (supported(asked) or supported(environ.get(LANGUAGE_VARIABLE)) or from_locale(environ)
            or supported(default) or LANGUAGES[-1])


def columns(text: str) -> int:
    """The columns `text` takes on a terminal: two for a wide character (Hangul, CJK), none for a combining mark."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def padded(text: str, width: int) -> str:
    """`text` followed by the spaces that make it take `width` columns (as it is, when it takes more)."""
    return text + " " * max(0, width - columns(text))
