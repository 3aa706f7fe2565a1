"""A message for people, kept with the values it names until it is shown in a reader's language.

`_("Lot {din} is on hold", din=din)` marks the English text for the catalogs (Babel extracts the first argument of
every `_` call) and returns a `Text`. `str()` of it is the English, which is what logs and the audit trail record;
`text.shown_in(translations)` is the reader's language. Values are shown as they are, except a value that is itself
a `Text`, which is shown in the same language.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator


@dataclass(frozen=True, slots=True)
class Text:
    """English source text with `{name}` fields (the catalog's key) and the values of those fields."""

    source: str
    values: tuple[tuple[str, Any], ...] = ()

    def shown_in(self, translations: gettext.NullTranslations) -> str:
        """The text in the language of `translations` (its English where the catalog has no translation)."""
        template = translations.gettext(self.source) if self.source else self.source
        if not self.values:
            return template.replace("{{", "{").replace("}}", "}")
        values = {name: shown(value, translations) for name, value in self.values}
        filled = _fill(template, values)
        return filled if filled is not None else _fill(self.source, values) or self.source

    def __str__(self) -> str:
        return self.shown_in(ENGLISH)


def _(source: str, /, **values: Any) -> Text:
    """Mark `source` (English, with `{name}` fields) for translation, with the values of its fields."""
    return Text(source, tuple(values.items()))


def shown(value: object, translations: gettext.NullTranslations) -> object:
    """`value` as shown to a reader of `translations`: a `Text` translated, anything else as it is."""
    return value.shown_in(translations) if isinstance(value, Text) else value


def shown_str(value: str | Text, translations: gettext.NullTranslations) -> str:
    """A message that may be plain text (not yet marked) or a `Text`, in the reader's language."""
    return value.shown_in(translations) if isinstance(value, Text) else value


def _fill(template: str, values: Mapping[str, object]) -> str | None:
    # A translation that names a field its source does not (a catalog mistake) shows the English rather than fail.
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None


ENGLISH = gettext.NullTranslations()


def _english(value: object) -> object:
    return value.shown_in(ENGLISH) if isinstance(value, Text) else value


# A field of a public (JSON) model that the application fills with a message or a plain text: the API answers it in
# English, whatever the record shows its reader.
English = Annotated[str, BeforeValidator(_english)]
