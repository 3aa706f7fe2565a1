"""Evaluate a QC result against its test's limit on entry (pure).

Two limits depend on the recipient: endotoxin (K/M, DESIGN.md section 8) and the viable cell dose (the
prescription per kg times the recipient's weight, within the protocol's tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass

from batchtrack.errors import Reason
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _
from batchtrack.quality.specification import BELOW_LOQ, SpecTest


@dataclass(frozen=True, slots=True)
class RecipientContext:
    """What the recipient-dependent limits need; None where it is not recorded."""

    weight_kg: float | None = None
    volume_ml: float | None = None  # the volume to be infused (the lot's formulated volume)
    prescribed_cells_per_kg: float | None = None
    dose_tolerance_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Whether a result conforms (None: it cannot be judged, and the reasons say why) and the limit applied."""

    conforms: bool | None
    limit_text: str
    reasons: tuple[Reason, ...] = ()


def endotoxin_limit_eu_per_ml(*, k_eu_per_kg: float, weight_kg: float, volume_ml: float, hours: float) -> float:
    """K/M in EU/mL: M is the dose in mL per kg per hour, so the limit is K x weight x hours / volume."""
    if weight_kg <= 0 or volume_ml <= 0 or hours <= 0:
        raise ValueError("weight, volume and infusion time must be positive")
    dose_ml_per_kg_per_hour = volume_ml / weight_kg / hours
    return k_eu_per_kg / dose_ml_per_kg_per_hour


def _number(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def _range_text(test: SpecTest) -> str:
    unit = f" {test.unit}" if test.unit else ""
    if test.min is not None and test.max is not None:
        return f"{_number(test.min)} to {_number(test.max)}{unit}"
    if test.min is not None:
        return f">= {_number(test.min)}{unit}"
    assert test.max is not None
    text = f"<= {_number(test.max)}{unit}"
    return f"{text} or {BELOW_LOQ}" if test.below_loq_conforms else text


def _cannot(limit: str, code: str, message: Text) -> Evaluation:
    return Evaluation(None, limit, (Reason(code, message),))


def evaluate(test: SpecTest, *, value: float | None, text: str, context: RecipientContext) -> Evaluation:
    """Judge one result; a result of the wrong form (text for a number, an unknown word) cannot be judged."""
    if test.kind == "qualitative":
        limit = " or ".join(test.expected)
        if text not in test.results:
            return _cannot(limit, "result.unknown_word", _("{test}: enter one of {words}", test=data_words(test.title),
                                                           words=", ".join(test.results)))
        return Evaluation(text in test.expected, limit)
    if test.kind == "numeric":
        limit = _range_text(test)
        if value is None:
            if test.below_loq_conforms and text == BELOW_LOQ:
                return Evaluation(True, limit)
            return _cannot(limit, "result.value_missing", _("{test}: enter a number in {unit}",
                                                            test=data_words(test.title),
                                                            unit=test.unit or _("units")))
        low_ok = test.min is None or value >= test.min
        high_ok = test.max is None or value <= test.max
        return Evaluation(low_ok and high_ok, limit)
    if test.kind == "endotoxin":
        assert test.k_eu_per_kg is not None and test.infusion_hours is not None
        if context.weight_kg is None or context.volume_ml is None:
            return _cannot("K/M (needs weight and volume)", "result.context_missing",
                           _("the endotoxin limit needs the recipient's recent weight and the lot's volume"))
        limit_value = endotoxin_limit_eu_per_ml(k_eu_per_kg=test.k_eu_per_kg, weight_kg=context.weight_kg,
                                                volume_ml=context.volume_ml, hours=test.infusion_hours)
        limit = (f"<= {limit_value:.3g} EU/mL (K {test.k_eu_per_kg:g} EU/kg x {context.weight_kg:g} kg x "
                 f"{test.infusion_hours:g} h / {context.volume_ml:g} mL)")
        if value is None:
            return _cannot(limit, "result.value_missing", _("{test}: enter a number in {unit}",
                                                            test=data_words(test.title),
                                                            unit="EU/mL"))
        return Evaluation(value <= limit_value, limit)
    # dose
    if context.weight_kg is None or context.prescribed_cells_per_kg is None or context.dose_tolerance_percent is None:
        return _cannot("prescription x weight (not recorded)", "result.context_missing",
                       _("the dose limit needs the prescription and the recipient's recent weight"))
    target = context.prescribed_cells_per_kg * context.weight_kg
    spread = target * context.dose_tolerance_percent / 100
    limit = (f"{target - spread:.3e} to {target + spread:.3e} cells ({context.prescribed_cells_per_kg:.3g}/kg x "
             f"{context.weight_kg:g} kg +/- {context.dose_tolerance_percent:g}%)")
    if value is None:
        return _cannot(limit, "result.value_missing", _("{test}: enter the viable cell count",
                                                        test=data_words(test.title)))
    return Evaluation(target - spread <= value <= target + spread, limit)
