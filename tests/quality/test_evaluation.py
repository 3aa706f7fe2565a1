"""Evaluating results and what may be entered, as pure functions: each kind of test judged against its limit,
the endotoxin limit computed from the recipient's weight and the infused volume, and the entry rules."""

from __future__ import annotations

import pytest

from batchtrack.errors import Reason
from batchtrack.lots.workflow import RELEASED_STATES, LotState
from batchtrack.models.quality import ResultStatus
from batchtrack.quality import gates
from batchtrack.quality.evaluation import RecipientContext, endotoxin_limit_eu_per_ml, evaluate
from batchtrack.quality.specification import BELOW_LOQ, SpecificationContent, SpecTest, shipped_default

SPEC: SpecificationContent = shipped_default()
SEVENTY_KG = RecipientContext(weight_kg=70, volume_ml=100, prescribed_cells_per_kg=1e6, dose_tolerance_percent=10)


def spec_test(code: str) -> SpecTest:
    found = SPEC.test(code)
    assert found is not None
    return found


def codes(reasons: list[Reason] | tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


def test_the_endotoxin_worked_example_70_kg_100_ml_over_one_hour_gives_3_5_eu_per_ml() -> None:
    # K = 5 EU/kg; M = 100 mL / 70 kg / 1 h = 1.4286 mL/kg/h; K/M = 3.5 EU/mL.
    assert endotoxin_limit_eu_per_ml(k_eu_per_kg=5, weight_kg=70, volume_ml=100, hours=1) == pytest.approx(3.5)
    endotoxin = spec_test("endotoxin")
    at_limit = evaluate(endotoxin, value=3.5, text="", context=SEVENTY_KG)
    assert at_limit.conforms is True
    assert at_limit.limit_text.startswith("<= 3.5 EU/mL") and "70 kg" in at_limit.limit_text
    assert "100 mL" in at_limit.limit_text
    assert evaluate(endotoxin, value=3.6, text="", context=SEVENTY_KG).conforms is False


def test_the_endotoxin_limit_follows_the_recipient_and_the_volume() -> None:
    endotoxin = spec_test("endotoxin")
    heavier = RecipientContext(weight_kg=100, volume_ml=100)
    assert evaluate(endotoxin, value=4.9, text="", context=heavier).conforms is True  # limit 5.0
    more_volume = RecipientContext(weight_kg=70, volume_ml=200)
    assert evaluate(endotoxin, value=1.8, text="", context=more_volume).conforms is False  # limit 1.75


def test_an_endotoxin_result_without_a_recent_weight_cannot_be_judged() -> None:
    judged = evaluate(spec_test("endotoxin"), value=0.5, text="", context=RecipientContext(volume_ml=100))
    assert judged.conforms is None and codes(judged.reasons) == ["result.context_missing"]


def test_a_qualitative_test_conforms_only_with_its_expected_word() -> None:
    sterility = spec_test("sterility")
    assert evaluate(sterility, value=None, text="no growth", context=RecipientContext()).conforms is True
    assert evaluate(sterility, value=None, text="growth", context=RecipientContext()).conforms is False
    unknown = evaluate(sterility, value=None, text="looks fine", context=RecipientContext())
    assert unknown.conforms is None and codes(unknown.reasons) == ["result.unknown_word"]


def test_numeric_tests_are_judged_against_their_minimum_or_maximum() -> None:
    viability, cd34 = spec_test("viability"), spec_test("cd34")
    none = RecipientContext()
    assert evaluate(viability, value=70, text="", context=none).conforms is True
    assert evaluate(viability, value=69.9, text="", context=none).conforms is False
    assert evaluate(cd34, value=2, text="", context=none).conforms is True
    assert evaluate(cd34, value=2.1, text="", context=none).conforms is False
    assert evaluate(viability, value=None, text="", context=none).conforms is None


def test_below_the_limit_of_quantitation_conforms_where_the_specification_says_so() -> None:
    penicillin = spec_test("residual_penicillin")
    assert evaluate(penicillin, value=None, text=BELOW_LOQ, context=RecipientContext()).conforms is True
    assert evaluate(penicillin, value=0.05, text="", context=RecipientContext()).conforms is True
    assert evaluate(penicillin, value=0.2, text="", context=RecipientContext()).conforms is False
    # Viability has no such rule: "below LOQ" is not a result it takes.
    assert codes(gates.form_refusals(spec_test("viability"), value=None, text=BELOW_LOQ)) == ["result.value_missing"]


def test_the_dose_is_judged_against_the_prescription_times_the_weight_within_the_tolerance() -> None:
    dose = spec_test("viable_cell_dose")
    # 1e6 cells/kg x 70 kg = 7.0e7 cells, +/- 10 %: 6.3e7 to 7.7e7.
    assert evaluate(dose, value=7.0e7, text="", context=SEVENTY_KG).conforms is True
    assert evaluate(dose, value=6.3e7, text="", context=SEVENTY_KG).conforms is True
    assert evaluate(dose, value=7.7e7, text="", context=SEVENTY_KG).conforms is True
    assert evaluate(dose, value=6.2e7, text="", context=SEVENTY_KG).conforms is False
    assert evaluate(dose, value=7.8e7, text="", context=SEVENTY_KG).conforms is False
    no_prescription = RecipientContext(weight_kg=70, dose_tolerance_percent=10)
    assert evaluate(dose, value=7.0e7, text="", context=no_prescription).conforms is None


def test_a_result_of_the_wrong_form_is_named() -> None:
    assert codes(gates.form_refusals(spec_test("gram_stain"), value=1, text="no organisms seen")) == [
        "result.value_unexpected"]
    assert codes(gates.form_refusals(spec_test("gram_stain"), value=None, text="")) == ["result.unknown_word"]
    assert codes(gates.form_refusals(spec_test("endotoxin"), value=None, text="")) == ["result.value_missing"]
    assert codes(gates.form_refusals(spec_test("endotoxin"), value=0.5, text="low")) == ["result.text_unexpected"]
    assert codes(gates.form_refusals(spec_test("residual_penicillin"), value=0.01, text=BELOW_LOQ)) == [
        "result.value_and_text"]
    assert codes(gates.form_refusals(spec_test("cd34"), value=-0.1, text="")) == ["result.negative"]
    assert gates.form_refusals(spec_test("residual_penicillin"), value=None, text=BELOW_LOQ) == []


def entry(test_code: str = "sterility", *, state: str = "in_qc", before_hold: str | None = None,
          status: str = "final", day: int | None = None, final_in_force: bool = False, analyst: bool = True,
          bound: bool = True) -> gates.EntryFacts:
    return gates.EntryFacts(lot_din="W000026000001", lot_state=state, state_before_hold=before_hold,
                            specification="MSC-FP v1" if bound else None, test_code=test_code,
                            test=SPEC.test(test_code), status=status, day=day, final_in_force=final_in_force,
                            actor_is_analyst=analyst)


def test_results_are_entered_by_an_analyst_for_a_test_of_the_bound_specification_while_in_qc() -> None:
    assert gates.entry_refusals(entry()) == []
    assert codes(gates.entry_refusals(entry(analyst=False))) == ["actor.role"]
    assert codes(gates.entry_refusals(entry(bound=False))) == ["qc.no_specification"]
    assert codes(gates.entry_refusals(entry("karyotype"))) == ["qc.unknown_test"]
    assert codes(gates.entry_refusals(entry(state="formulated"))) == ["qc.lot_state"]
    assert codes(gates.entry_refusals(entry(state="rejected"))) == ["qc.lot_state"]
    # An out-of-specification result holds the lot: testing goes on while QA investigates.
    assert gates.entry_refusals(entry("gram_stain", state="on_hold", before_hold="in_qc")) == []


def test_after_release_only_post_release_tests_take_results() -> None:
    for state in (*RELEASED_STATES, LotState.SHIPPED, LotState.AT_CLINIC, LotState.INFUSED):
        assert gates.entry_refusals(entry("sterility", state=state)) == [], state
        assert codes(gates.entry_refusals(entry("gram_stain", state=state))) == ["qc.lot_released"], state
    held = entry("sterility", state="on_hold", before_hold="released_pending_sterility")
    assert gates.entry_refusals(held) == []
    assert gates.after_release("on_hold", "released_pending_sterility")
    assert not gates.after_release("on_hold", "in_qc")


def test_preliminary_results_only_for_tests_read_over_days_and_never_a_second_final() -> None:
    assert gates.entry_refusals(entry(status="preliminary", day=3)) == []
    assert codes(gates.entry_refusals(entry(status="preliminary"))) == ["result.day_required"]
    assert codes(gates.entry_refusals(entry(status="preliminary", day=15))) == ["result.day_out_of_range"]
    assert codes(gates.entry_refusals(entry("gram_stain", status="preliminary", day=1))) == [
        "result.preliminary_not_allowed", "result.day_unexpected"]
    assert codes(gates.entry_refusals(entry(final_in_force=True))) == ["result.final_exists"]
    assert codes(gates.entry_refusals(entry(status="preliminary", day=5, final_in_force=True))) == [
        "result.final_exists"]


def test_a_negative_sterility_is_final_only_after_its_fourteen_days() -> None:
    sterility = spec_test("sterility")
    assert codes(gates.early_final_refusals(sterility, status="final", day=7, conforms=True)) == [
        "result.final_too_early"]
    assert gates.early_final_refusals(sterility, status="final", day=3, conforms=False) == []  # growth is final
    assert gates.early_final_refusals(sterility, status="final", day=14, conforms=True) == []


def test_the_specification_states_each_limit_before_a_recipient_is_known() -> None:
    assert gates.specification_limit(spec_test("viability")) == ">= 70 %"
    assert gates.specification_limit(spec_test("gram_stain")) == "no organisms seen"
    assert "K 5 EU/kg" in gates.specification_limit(spec_test("endotoxin"))
    assert "prescribed cells/kg" in gates.specification_limit(spec_test("viable_cell_dose"))


def test_the_rules_spell_states_and_statuses_as_the_tables_do() -> None:
    assert gates.IN_QC == LotState.IN_QC and gates.ON_HOLD == LotState.ON_HOLD
    assert gates.FINAL == ResultStatus.FINAL and gates.PRELIMINARY == ResultStatus.PRELIMINARY
    assert gates.AFTER_RELEASE.issubset({s.value for s in LotState})
    assert {s.value for s in RELEASED_STATES} <= gates.AFTER_RELEASE
