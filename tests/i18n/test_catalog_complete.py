"""Korean wherever people read: every message marked for translation has its Korean, the shipped compiled catalog
is the one its sources make, translations keep their source's fields, and no page or error message shows people
English that was never marked (but for the files still listed in pending.txt, each of which must still have some)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from visible_text import unmarked_messages, untranslated_in_template

from batchtrack.errors import BatchtrackError
from batchtrack.i18n import catalogs, extraction
from batchtrack.i18n import compile as catalog_compile

# The sources are read from the checkout these tests belong to, not from the installed package (which continuous
# integration installs without its templates' folder or babel.cfg beside it).
CHECKOUT = Path(__file__).resolve().parents[2]
PENDING = {line.strip() for line in (Path(__file__).parent / "pending.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")}
_FIELDS = re.compile(r"\{([a-z_][a-z0-9_]*)\}|%\(([a-z_][a-z0-9_]*)\)s")


def _error_classes() -> frozenset[str]:
    import batchtrack.main  # noqa: F401  (every error class imported)

    def subclasses(kind: type) -> list[type]:
        return [sub for direct in kind.__subclasses__() for sub in (direct, *subclasses(direct))]

    return frozenset({"BatchtrackError", *(kind.__name__ for kind in subclasses(BatchtrackError))})


def _templates() -> list[Path]:
    return sorted((CHECKOUT / "templates").rglob("*.html"))


def _modules() -> list[Path]:
    return sorted((CHECKOUT / "batchtrack").rglob("*.py"))


def _relative(path: Path) -> str:
    return str(path.relative_to(CHECKOUT))


@pytest.fixture(scope="module")
def found() -> list[extraction.Found]:
    messages = extraction.extracted(CHECKOUT)
    assert len(messages) > 1000, "the checkout's messages were not found"
    return messages


def test_every_message_marked_for_translation_has_its_korean(found: list[extraction.Found]) -> None:
    missing = extraction.untranslated("ko", found)
    assert [f"{item.path}:{item.line}: {item.message}" for item in missing] == []


def test_the_shipped_catalog_is_compiled_from_its_sources() -> None:
    shipped_path = catalogs.LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.mo"
    with shipped_path.open("rb") as file:
        shipped = {m.id: m.string for m in read_mo(file) if m.id}
    expected = {m.id: m.string for m in catalog_compile.merged("ko") if m.id}
    assert shipped == expected, "run: python -m batchtrack.i18n.compile"


def test_a_translation_names_exactly_the_fields_of_its_source() -> None:
    wrong = []
    for message in catalog_compile.merged("ko"):
        if (message.id and isinstance(message.id, str) and isinstance(message.string, str)
                and set(_FIELDS.findall(message.id)) != set(_FIELDS.findall(message.string))):
            wrong.append(f"{message.id!r} -> {message.string!r}")
    assert wrong == []


def test_no_page_shows_english_that_is_not_marked_for_translation() -> None:
    assert len(_templates()) > 40, "the checkout's templates were not found"
    shown = {_relative(path): untranslated_in_template(path.read_text(encoding="utf-8")) for path in _templates()}
    assert {path: pieces for path, pieces in shown.items() if pieces and path not in PENDING} == {}
    assert [path for path in PENDING if path.endswith(".html") and not shown.get(path)] == [], \
        "translated since: take it out of pending.txt"


def test_no_error_or_reason_is_given_a_message_that_is_not_marked_for_translation() -> None:
    takers = _error_classes()
    assert len(_modules()) > 200, "the checkout's modules were not found"
    shown = {_relative(path): unmarked_messages(path, takers) for path in _modules()}
    assert {path: lines for path, lines in shown.items() if lines and path not in PENDING} == {}
    assert [path for path in PENDING if path.endswith(".py") and not shown.get(path)] == [], \
        "translated since: take it out of pending.txt"
