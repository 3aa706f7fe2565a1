"""A stored code shown to people reads in their language (a lot 'released_pending_sterility' is 무균 시험 결과 대기 중
출하 승인됨 to a Korean reader) and, in English, exactly as its code with spaces, as records always wrote it; an
unknown code is shown as its words."""

from __future__ import annotations

from batchtrack.i18n import catalogs, code_words
from batchtrack.i18n.text import ENGLISH, Text, shown_str
from batchtrack.lots.workflow import LotState
from batchtrack.models.container import ContainerKind, ContainerStatus
from batchtrack.models.deviation import DeviationOrigin, DeviationState
from batchtrack.models.label import LabelStatus
from batchtrack.models.quality import ApprovalRole, ReleaseDecisionKind
from batchtrack.models.signature import SignatureMeaning

KOREAN = catalogs.translations("ko")
RECORDED_CODES = [*LotState, *ContainerKind, *ContainerStatus, *LabelStatus, *ReleaseDecisionKind, *ApprovalRole,
                  *SignatureMeaning, *DeviationState, *DeviationOrigin]


def test_every_code_reads_in_english_as_its_words() -> None:
    for code, words in code_words.WORDS.items():
        assert str(words) == code.replace("_", " ")


def test_the_codes_the_records_show_are_in_korean() -> None:
    for code in RECORDED_CODES:
        words = code_words.words(code.value)
        assert isinstance(words, Text), code
        korean = words.shown_in(KOREAN)
        assert korean != str(words) and not any("a" <= c.lower() <= "z" for c in korean.replace("QC", "")), korean
    assert shown_str(code_words.words("released_pending_sterility"), KOREAN) == "무균 시험 결과 대기 중 출하 승인됨"
    assert shown_str(code_words.words("performed"), KOREAN) == "수행"


def test_an_unknown_code_is_shown_as_its_words() -> None:
    assert code_words.words("sent_to_mars") == "sent to mars"
    assert shown_str(code_words.words("sent_to_mars"), KOREAN) == "sent to mars"


def test_a_released_material_reads_as_released_for_use() -> None:
    assert shown_str(code_words.material_status("released"), KOREAN) == "사용 승인됨"
    assert shown_str(code_words.material_status("released"), ENGLISH) == "released for use"
    assert code_words.material_status("on_the_shelf") == "on the shelf"
