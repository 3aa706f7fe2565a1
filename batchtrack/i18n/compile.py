"""Write each language's compiled catalog (`messages.mo`) from its sources: `messages.po` and any `parts/*.po`
beside it (a part holds one area's messages while it is being translated). Run: python -m batchtrack.i18n.compile

A message translated differently in two sources is refused, naming both; an untranslated or fuzzy message is left
out (it shows in English, and the completeness test names it).
"""

from __future__ import annotations

import os
import sys
import tempfile
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from batchtrack.i18n.catalogs import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE
from batchtrack.i18n.negotiation import LANGUAGES


class CatalogConflict(Exception):
    """The same message translated differently in two sources."""


def sources(language: str) -> list[Path]:
    """The `.po` files of `language`: the main catalog first, then the parts in name order."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    main = folder / f"{DOMAIN}.po"
    return ([main] if main.exists() else []) + sorted((folder / "parts").glob("*.po"))


def merged(language: str) -> Catalog:
    """Every translated, non-fuzzy message of `language`'s sources in one catalog."""
    catalog = Catalog(locale=language, domain=DOMAIN)
    came_from: dict[str, Path] = {}
    conflicts: list[str] = []
    for path in sources(language):
        with path.open("rb") as file:
            source = read_po(file, locale=language)
        for message in source:
            if not message.id or not isinstance(message.id, str) or message.fuzzy or not message.string:
                continue
            known = catalog.get(message.id)
            if known is not None and known.string != message.string:
                conflicts.append(f"{message.id!r}: {came_from[message.id].name} and {path.name} differ")
                continue
            catalog.add(message.id, message.string)
            came_from[message.id] = path
    if conflicts:
        raise CatalogConflict("; ".join(conflicts))
    return catalog


def compiled(language: str) -> bytes:
    """The `.mo` bytes of `language`'s sources."""
    output = BytesIO()
    write_mo(output, merged(language))
    return output.getvalue()


def write(language: str) -> Path:
    """Write `language`'s `messages.mo` (whole or not at all: another process may be reading it)."""
    target = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    data = compiled(language)
    handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return target


def main() -> int:
    """Compile every language's catalog; say how many messages each holds."""
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        try:
            path = write(language)
        except CatalogConflict as exc:
            sys.stderr.write(f"{language}: refused, conflicting translations: {exc}\n")
            return 1
        sys.stdout.write(f"{language}: {len(merged(language))} messages -> {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
