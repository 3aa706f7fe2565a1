"""The command line's language: the one asked for on the command line, else BATCHTRACK_LANGUAGE, else the shell's
locale, else the site's; and the room text takes on a terminal."""

from __future__ import annotations

import pytest

from batchtrack.i18n.terminal import choose, columns, from_locale, padded


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "ko_KR.eucKR@euro"}, "ko"),
    ({"LANG": "ko"}, "ko"),
    ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_GB.UTF-8"}, "ko"),
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "ko_KR.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
    # The locale in force is the first one set, even when it names no language: C overrides a Korean LANG.
    ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, None),
    ({"LC_ALL": "", "LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "C.UTF-8"}, None),
    ({"LANG": "POSIX"}, None),
    ({"LANG": "fr_FR.UTF-8"}, None),
    ({}, None),
])
def test_the_shell_s_locale_of_messages_names_the_language(environ: dict[str, str], expected: str | None) -> None:
    assert from_locale(environ) == expected


def test_the_language_asked_for_on_the_command_line_comes_first() -> None:
    environ = {"BATCHTRACK_LANGUAGE": "en", "LANG": "en_US.UTF-8"}
    assert choose(asked="ko", environ=environ, default="en") == "ko"
    assert choose(asked="en", environ={"BATCHTRACK_LANGUAGE": "ko", "LANG": "ko_KR.UTF-8"}, default="ko") == "en"


def test_then_batchtrack_language_then_the_locale_then_the_site_s_default() -> None:
    assert choose(asked=None, environ={"BATCHTRACK_LANGUAGE": "ko", "LANG": "en_US.UTF-8"}, default="en") == "ko"
    assert choose(asked=None, environ={"LANG": "ko_KR.UTF-8"}, default="en") == "ko"
    assert choose(asked=None, environ={"LANG": "en_US.UTF-8"}, default="ko") == "en"
    assert choose(asked=None, environ={"LANG": "C.UTF-8"}, default="ko") == "ko"
    assert choose(asked=None, environ={}, default="en") == "en"


def test_a_language_the_product_does_not_speak_is_passed_over() -> None:
    assert choose(asked=None, environ={"BATCHTRACK_LANGUAGE": "fr", "LANG": "ko_KR.UTF-8"}, default="en") == "ko"
    assert choose(asked=None, environ={"LANG": "ja_JP.UTF-8"}, default="ko") == "ko"
    assert choose(asked=None, environ={}, default="fr") == "en"


def test_a_hangul_syllable_takes_two_columns_and_a_table_cell_is_padded_by_columns() -> None:
    assert columns("user") == 4 and columns("사용자") == 6 and columns("김수아 (Kim Sua)") == 16
    assert padded("사용자", 10) == "사용자    " and columns(padded("상태", 12)) == 12
    assert padded("a-very-long-name", 4) == "a-very-long-name"
