"""A value outside its range or limits is refused or flagged with its figures as people read them (5 x 10^6 cells,
never 5e+06), every recorded digit kept, and its label in the reader's language; the record keeps the English."""

from __future__ import annotations

from batchtrack.i18n import catalogs, limit_text
from batchtrack.processing import definition, gates

KOREAN = catalogs.translations("ko")


def _value(name: str) -> definition.ValueDefinition:
    process = definition.load(definition.available()[0])
    return next(v for step in process.steps for v in step.values if v.name == name)


def test_a_cell_count_below_its_limit_reads_in_powers_of_ten_with_every_digit() -> None:
    nucleated = _value("nucleated_cells")
    assert gates.limit_breach(nucleated, 5e6) == ("Nucleated cells isolated 5 \u00d7 10\u2076 cells is below the "
                                                  "limit 1 \u00d7 10\u2077")
    assert gates.limit_breach(nucleated, 5_123_457) == ("Nucleated cells isolated 5.123457 \u00d7 10\u2076 cells is "
                                                        "below the limit 1 \u00d7 10\u2077")
    breach = gates.limit_breach_text(nucleated, 5e6)
    assert breach is not None and breach.shown_in(KOREAN).startswith("분리된 유핵세포 수 5 \u00d7 10\u2076 cells")


def test_an_impossible_value_is_refused_with_its_range_in_the_same_figures() -> None:
    viability = _value("viability")
    [reason] = gates.value_refusals(viability, "viability", 140)
    assert reason.code == "value.out_of_range"
    assert reason.message == "Viability 140.0 % is impossible (range 0.0 to 100.0)"
    assert "e+" not in reason.as_dict(KOREAN)["message"] and "생존율" in reason.as_dict(KOREAN)["message"]


def test_a_recorded_range_reads_in_korean_with_its_figures_and_the_record_keeps_its_english() -> None:
    recorded = "5.600e+07 to 6.160e+07 cells (8e+05/kg x 70 kg +/- 10%)"
    figures = ("5.6 \u00d7 10\u2077", "6.16 \u00d7 10\u2077 cells (8 \u00d7 10\u2075/kg \u00d7 70 kg \u00b1 10%)")
    assert limit_text.readable(recorded) == f"{figures[0]} to {figures[1]}"
    assert limit_text.readable(recorded, KOREAN) == f"{figures[0]} ~ {figures[1]}"
    assert str(limit_text.message(recorded)) == limit_text.readable(recorded)


def test_alternatives_read_in_korean_and_what_the_evaluation_added_is_kept() -> None:
    assert limit_text.readable("<= 0.1 ug/mL or below LOQ") == "\u2264 0.1 \u00b5g/mL or below LOQ"
    assert limit_text.readable("<= 0.1 ug/mL or below LOQ", KOREAN) == "\u2264 0.1 \u00b5g/mL 또는 정량한계 미만"
    assert limit_text.readable("no growth or negative", KOREAN) == "증식 없음 또는 negative"
    judged = "0.0 to 100.0 %; not judged: no weight recorded"
    assert limit_text.readable(judged) == "0.0 to 100.0%; not judged: no weight recorded"
    assert limit_text.readable(judged, KOREAN) == "0.0 ~ 100.0%; not judged: no weight recorded"
    assert limit_text.readable("<= 1e+07 cells", KOREAN) == "\u2264 1 \u00d7 10\u2077 cells"
