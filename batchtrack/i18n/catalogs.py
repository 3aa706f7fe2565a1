"""The compiled message catalogs shipped in the package (`batchtrack/locale/<language>/LC_MESSAGES/messages.mo`).

Sources are the `.po` files beside them; `python -m batchtrack.i18n.compile` writes the `.mo` from them, and a test
checks that the shipped `.mo` holds exactly what the sources say.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

from batchtrack.i18n.negotiation import LANGUAGES
from batchtrack.i18n.text import ENGLISH

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (English, the source language, needs none); loaded once per process."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return ENGLISH
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as file:
        return gettext.GNUTranslations(file)
