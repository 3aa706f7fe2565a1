"""What a QC result may be entered for, and in what form (pure).

Each function takes plain facts and returns every reason it refuses (empty: allowed); it does no I/O. The
results service gathers the facts; the API and the QC bench page both go through the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchtrack.errors import Reason
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import _
from batchtrack.quality import evaluation
from batchtrack.quality.specification import BELOW_LOQ, SpecTest

# Spelled as in lots.workflow.LotState and models.quality.ResultStatus (the tests check), so that these rules
# import no table.
IN_QC = "in_qc"
ON_HOLD = "on_hold"
FINAL = "final"
PRELIMINARY = "preliminary"
# A lot released pending sterility is shipped and infused within hours: its post-release tests are read later.
AFTER_RELEASE = frozenset({"released", "released_pending_sterility", "shipped", "at_clinic", "infused"})
POST_RELEASE = "post_release"


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """A result about to be recorded (entered, or a correction of one) and what is recorded around it."""

    lot_din: str
    lot_state: str
    state_before_hold: str | None
    specification: str | None  # "MSC-FP v1"; None when no specification is bound to the lot
    test_code: str
    test: SpecTest | None  # None when the lot's specification has no such test
    status: str
    day: int | None
    final_in_force: bool  # a final result of this test is already in force
    actor_is_analyst: bool
    correction: bool = False


def _human(state: str) -> str:
    return state.replace("_", " ")


def testing_state(lot_state: str, state_before_hold: str | None) -> str:
    """The state that decides what may be tested: a lot on hold is judged by the state it was held in."""
    return state_before_hold if lot_state == ON_HOLD and state_before_hold else lot_state


def after_release(lot_state: str, state_before_hold: str | None) -> bool:
    """True once the lot was released (also pending sterility), shipped, received or infused."""
    return testing_state(lot_state, state_before_hold) in AFTER_RELEASE


def _state_reasons(facts: EntryFacts) -> list[Reason]:
    state = testing_state(facts.lot_state, facts.state_before_hold)
    if state == IN_QC:
        return []
    if state in AFTER_RELEASE:
        if facts.test is None or facts.test.stage == POST_RELEASE:
            return []
        return [Reason("qc.lot_released", _("lot {din} is {state}: only its post-release tests take results now, "
                                            "not {test}", din=facts.lot_din, state=_human(facts.lot_state),
                                            test=facts.test.title))]
    return [Reason("qc.lot_state", _("lot {din} is {state}; results are recorded while it is in QC (post-release "
                                     "tests also after its release)", din=facts.lot_din,
                                     state=_human(facts.lot_state)))]


def _status_reasons(facts: EntryFacts, test: SpecTest) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.status == PRELIMINARY and not facts.correction:
        if test.final_after_days is None:
            reasons.append(Reason("result.preliminary_not_allowed",
                                  _("{test} has no preliminary results: enter its final result",
                                    test=data_words(test.title))))
        elif facts.day is None:
            reasons.append(Reason("result.day_required",
                                  _("a preliminary result of {test} says on which day it was read",
                                    test=data_words(test.title))))
        elif not 1 <= facts.day <= test.final_after_days:
            reasons.append(Reason("result.day_out_of_range", _("{test} is read on days 1 to {last}, not day {day}",
                                                               test=data_words(test.title), last=test.final_after_days,
                                                               day=facts.day)))
    if facts.day is not None and test.final_after_days is None and not facts.correction:
        reasons.append(Reason("result.day_unexpected",
                              _("{test} is not read over days: leave the day empty", test=data_words(test.title))))
    if facts.final_in_force and not facts.correction:
        reasons.append(Reason("result.final_exists", _("a final result of {test} is recorded; a change is a "
                                                       "correction with a reason", test=data_words(test.title))))
    return reasons


def entry_refusals(facts: EntryFacts) -> list[Reason]:
    """A result is recorded by a QC analyst, for a test of the lot's specification, while the lot is in QC (or,
    for post-release tests, after its release); a preliminary result only for a test read over days, with the
    day; never a second final result (a change is a correction)."""
    reasons: list[Reason] = []
    if not facts.actor_is_analyst:
        reasons.append(Reason("actor.role", _("QC results are recorded by a QC analyst")))
    if facts.specification is None:
        reasons.append(Reason("qc.no_specification",
                              _("lot {din} has no specification bound: it is bound when the lot is submitted to "
                                "QC", din=facts.lot_din)))
        return reasons
    if facts.test is None:
        reasons.append(Reason("qc.unknown_test",
                              _("{specification} has no test {test}", specification=facts.specification,
                                test=repr(facts.test_code[:32]))))
    reasons += _state_reasons(facts)
    if facts.test is not None:
        reasons += _status_reasons(facts, facts.test)
    return reasons


def form_refusals(test: SpecTest, *, value: float | None, text: str) -> list[Reason]:
    """What makes a result impossible to judge: a word the test does not know, a number missing or negative,
    a number where a word is expected. Such a result is not recorded."""
    if test.kind == "qualitative":
        reasons = []
        if value is not None:
            reasons.append(Reason("result.value_unexpected", _("{test} takes a word, not a number",
                                                                test=data_words(test.title))))
        if text not in test.results:
            reasons.append(Reason("result.unknown_word", _("{test}: enter one of {words}", test=data_words(test.title),
                                                            words=", ".join(test.results))))
        return reasons
    below_loq = test.kind == "numeric" and test.below_loq_conforms and text == BELOW_LOQ
    unit = test.unit or _("units")
    if value is None and not below_loq:
        if test.kind == "numeric" and test.below_loq_conforms:
            return [Reason("result.value_missing", _("{test}: enter a number in {unit} or {word}",
                                                     test=data_words(test.title),
                                                     unit=unit, word=repr(BELOW_LOQ)))]
        return [Reason("result.value_missing", _("{test}: enter a number in {unit}", test=data_words(test.title),
                                                 unit=unit))]
    if value is not None and text == BELOW_LOQ:
        return [Reason("result.value_and_text", _("{test}: enter a number in {unit} or {word}, not both",
                                                  test=data_words(test.title), unit=unit, word=repr(BELOW_LOQ)))]
    if text and not below_loq:
        return [Reason("result.text_unexpected", _("{test} takes a number in {unit}, not words",
                                                   test=data_words(test.title),
                                                   unit=unit))]
    if value is not None and value < 0:
        return [Reason("result.negative", _("{test}: a measured value is not negative", test=data_words(test.title)))]
    return []


def early_final_refusals(test: SpecTest, *, status: str, day: int | None, conforms: bool | None) -> list[Reason]:
    """A conforming result of a test read over days is final only once its full time has run."""
    if (status == FINAL and test.final_after_days is not None and day is not None and conforms
            and day < test.final_after_days):
        return [Reason("result.final_too_early", _("{test} conforms only after {days} days; at day {day} record a "
                                                   "preliminary result", test=data_words(test.title),
                                                   days=test.final_after_days, day=day))]
    return []


def specification_limit(test: SpecTest) -> str:
    """The test's limit as the specification states it, before any recipient is known."""
    if test.kind == "endotoxin":
        assert test.k_eu_per_kg is not None and test.infusion_hours is not None
        return (f"K/M: K {test.k_eu_per_kg:g} EU/kg, M = volume / weight / {test.infusion_hours:g} h "
                "(needs the recipient's recent weight and the lot's volume)")
    if test.kind == "dose":
        return "the prescribed cells/kg x the recipient's recent weight, within the protocol's tolerance"
    return evaluation.evaluate(test, value=None, text="", context=evaluation.RecipientContext()).limit_text
