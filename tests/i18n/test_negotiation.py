"""Which language a request is answered in: the user's, else the one chosen on the browser, else the browser's
preference, else the site's."""

from __future__ import annotations

import pytest

from batchtrack.i18n.negotiation import choose, from_accept_language, supported


@pytest.mark.parametrize(("header", "expected"), [
    ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
    ("en-GB,en;q=0.9,ko;q=0.8", "en"),
    ("fr-FR,fr;q=0.9,ko;q=0.5,en;q=0.4", "ko"),
    ("en;q=0.2, ko;q=0.8", "ko"),
    ("ko;q=0", None),
    ("fr, de", None),
    ("", None),
    (None, None),
    ("ko;q=abc, en", "en"),
    ("*", None),
])
def test_the_browser_s_most_preferred_language_the_product_speaks(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_a_language_is_known_by_its_primary_subtag_only() -> None:
    assert supported("ko-KR") == "ko" and supported("KO") == "ko" and supported("en_US") == "en"
    assert supported("kor") is None and supported("") is None and supported(None) is None


def test_the_user_s_choice_comes_first_then_this_browser_s_then_its_preference_then_the_site_s() -> None:
    assert choose(profile="en", cookie="ko", accept_language="ko", default="ko") == "en"
    assert choose(profile=None, cookie="en", accept_language="ko", default="ko") == "en"
    assert choose(profile=None, cookie=None, accept_language="en-US,en", default="ko") == "en"
    assert choose(profile=None, cookie="xx", accept_language="fr", default="ko") == "ko"
    assert choose(profile="fr", cookie=None, accept_language=None, default="en") == "en"
