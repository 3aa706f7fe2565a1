"""Finders of text for people that is not marked for translation: in a page template (text and the attributes
people read, outside `{% trans %}` blocks and expressions) and in Python (a message given to an error or a reason
as a plain string)."""

from __future__ import annotations

import ast
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

# Words that read the same in every language: names of things, standards and units.
NEUTRAL = frozenset({
    "batchtrack", "DIN", "DINs", "COI", "UTC", "KST", "QA", "QC", "ISBT", "ID", "PDF", "CSV", "JSON", "API", "ZPL",
    "PNG", "SVG", "HLA", "MRN", "FIN", "CS20AT04", "KCT0004337", "CAPA", "EU", "kg", "mL", "ug", "ng", "mm",
    "dpi", "SHA", "FHIR", "OK", "MSC", "BM", "IME", "GMP", "Ed25519", "URL", "CFR",
})
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]+")
_READ_ATTRIBUTES = frozenset({"placeholder", "title", "aria-label", "alt", "aria-description"})
_EXPRESSION = "\x00"
_ENV = Environment(extensions=["jinja2.ext.i18n"])


def english_words(text: str) -> list[str]:
    """The words of `text` that would be read as English (not codes, names of standards or expressions)."""
    return [w for w in _WORD.findall(text) if w not in NEUTRAL]


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in _READ_ATTRIBUTES and value and english_words(value):
                self.found.append(f'{name}="{value.strip()}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and english_words(data):
            self.found.append(" ".join(data.split()))


def untranslated_in_template(source: str) -> list[str]:
    """The pieces of `source` (a Jinja2 page) that people read in English whatever the page's language."""
    pieces: list[str] = []
    inside_trans = False
    tokens = [token for token in _ENV.lex(source) if token[1] != "whitespace"]
    for index, (_line, kind, value) in enumerate(tokens):
        if kind == "name" and index > 0 and tokens[index - 1][1] == "block_begin":
            if value == "trans":
                inside_trans = True
            elif value == "endtrans":
                inside_trans = False
        if kind == "data" and not inside_trans:
            pieces.append(value)
        elif kind in ("variable_begin", "block_begin"):
            pieces.append(_EXPRESSION)
    parser = _Visible()
    parser.feed("".join(pieces))
    parser.close()
    return [text for text in parser.found if english_words(text.replace(_EXPRESSION, " "))]


def unmarked_messages(path: Path, takers: frozenset[str]) -> list[str]:
    """Messages in the Python file `path` given as plain or formatted strings (not `_(...)`) to one of `takers`
    (the errors, whose first argument is the message) or to a `Reason` (its second): each as `line: text`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else "")
        position = 1 if name == "Reason" else 0 if name in takers else None
        if position is None:
            continue
        argument = node.args[position] if len(node.args) > position else next(
            (k.value for k in node.keywords if k.arg == "message"), None)
        if isinstance(argument, ast.Constant | ast.JoinedStr | ast.BinOp):
            found.append(f"{node.lineno}: {ast.unparse(argument)[:80]}")
    return found


def main(paths: list[str]) -> int:
    """Print what each given template or Python file still shows people in English only."""
    import batchtrack.main  # noqa: F401  (every error class imported, to know them all)
    from batchtrack.errors import BatchtrackError

    def subclasses(kind: type) -> list[type]:
        return [sub for direct in kind.__subclasses__() for sub in (direct, *subclasses(direct))]

    takers = frozenset({"BatchtrackError", *(kind.__name__ for kind in subclasses(BatchtrackError))})
    total = 0
    for name in paths:
        path = Path(name)
        found = (untranslated_in_template(path.read_text(encoding="utf-8")) if path.suffix == ".html"
                 else unmarked_messages(path, takers))
        total += len(found)
        for piece in found:
            sys.stdout.write(f"{path}: {piece}\n")
    sys.stdout.write(f"{total} piece(s) not marked for translation\n")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
