"""A message for people keeps its values until it is shown: English in logs and the audit trail, the reader's
language on the page and in the API's answer."""

from __future__ import annotations

import gettext

from batchtrack.errors import BadRequest, Reason
from batchtrack.i18n.catalogs import translations
from batchtrack.i18n.text import ENGLISH, Text, _


class _Catalog(gettext.NullTranslations):
    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)


KOREAN = _Catalog({"lot {din} is on hold": "로트 {din}은(는) 보류 중입니다",
                   "scan {number}: {why}": "스캔 {number}: {why}", "the wrong bag": "잘못된 백"})


def test_a_message_is_english_as_text_and_korean_when_shown_in_korean() -> None:
    message = _("lot {din} is on hold", din="W0000 26 000123")
    assert str(message) == "lot W0000 26 000123 is on hold"
    assert message.shown_in(KOREAN) == "로트 W0000 26 000123은(는) 보류 중입니다"


def test_a_message_inside_a_message_is_shown_in_the_same_language() -> None:
    message = _("scan {number}: {why}", number=2, why=_("the wrong bag"))
    assert str(message) == "scan 2: the wrong bag"
    assert message.shown_in(KOREAN) == "스캔 2: 잘못된 백"


def test_a_translation_naming_a_field_its_source_lacks_shows_the_english_rather_than_fail() -> None:
    broken = _Catalog({"lot {din} is on hold": "로트 {lot}"})
    assert _("lot {din} is on hold", din="X").shown_in(broken) == "lot X is on hold"


def test_values_are_shown_as_given_even_with_braces() -> None:
    assert str(_("reason: {why}", why="{not a field}")) == "reason: {not a field}"


def test_an_error_records_english_and_answers_in_the_reader_s_language() -> None:
    error = BadRequest(_("lot {din} is on hold", din="X"), code="lot.on_hold",
                       reasons=[Reason("scan.wrong", _("the wrong bag"))])
    assert error.message == "lot X is on hold" and str(error) == "lot X is on hold"
    assert error.reasons[0].message == "the wrong bag"
    assert error.as_dict(KOREAN) == {"error": "lot.on_hold", "message": "로트 X은(는) 보류 중입니다",
                                     "reasons": [{"code": "scan.wrong", "message": "잘못된 백"}]}
    assert error.as_dict() == {"error": "lot.on_hold", "message": "lot X is on hold",
                               "reasons": [{"code": "scan.wrong", "message": "the wrong bag"}]}


def test_a_message_not_yet_marked_is_shown_as_it_is_in_every_language() -> None:
    reason = Reason("x", "plain {text} with braces")
    assert reason.message == "plain {text} with braces"
    assert reason.as_dict(KOREAN)["message"] == "plain {text} with braces"
    assert Reason("x", "same") == Reason("x", _("same"))


def test_the_shipped_korean_catalog_translates_and_english_needs_none() -> None:
    assert _("Dashboard").shown_in(translations("ko")) == "대시보드"
    assert translations("en") is ENGLISH
    assert isinstance(_("x"), Text)
