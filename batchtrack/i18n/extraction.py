"""The messages for people in a source checkout, as Babel extracts them (`babel.cfg`), and which of them a
language's catalog does not translate.

Run from a checkout: python -m batchtrack.i18n.extraction [--language ko] [PATH ...]
prints, as a PO file, every message under PATH (files or folders; default: all) that the catalog lacks, ready to be
translated into a part (`batchtrack/locale/<language>/LC_MESSAGES/parts/<area>.po`) and compiled.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

from batchtrack.i18n import compile as catalog_compile

CHECKOUT = Path(__file__).resolve().parents[2]
MAPPING = CHECKOUT / "babel.cfg"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


@dataclass(frozen=True, slots=True)
class Found:
    """One message as extracted: its text (a plural's singular) and where it is."""

    message: str
    path: str
    line: int


def extracted(root: Path = CHECKOUT) -> list[Found]:
    """Every message marked for translation in the checkout at `root` (by its `babel.cfg`), with where it is."""
    with (root / MAPPING.name).open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)  # type: ignore[no-untyped-call]
    found: list[Found] = []
    for path, line, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        text = message[0] if isinstance(message, tuple) else message
        if text:
            found.append(Found(text, path, line))
    return found


def untranslated(language: str, found: Iterable[Found]) -> list[Found]:
    """The messages `language`'s sources do not translate (or mark fuzzy)."""
    catalog = catalog_compile.merged(language)
    return [item for item in found if catalog.get(item.message) is None]


def main() -> int:
    """Print the untranslated messages under the given paths as a PO file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="ko")
    parser.add_argument("paths", nargs="*", help="files or folders of the checkout (default: all)")
    args = parser.parse_args()
    wanted = [str(Path(p).resolve().relative_to(CHECKOUT)) for p in args.paths]
    missing = [item for item in untranslated(args.language, extracted())
               if not wanted or any(item.path == w or item.path.startswith(w.rstrip("/") + "/") for w in wanted)]
    catalog = Catalog(locale=args.language)
    for item in missing:
        catalog.add(item.message, "", locations=[(item.path, item.line)])
    output = BytesIO()
    write_po(output, catalog, omit_header=True, width=0)
    sys.stdout.write(output.getvalue().decode("utf-8"))
    sys.stderr.write(f"{len(catalog)} untranslated message(s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
