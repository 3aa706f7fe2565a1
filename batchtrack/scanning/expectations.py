"""Compare what a station expects with what a scan resolved to: every mismatch, as a Reason (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _

# The one container status in which material may still be used; the others (consumed, infused,
# destroyed) end its life. Spelled as in models.container.ContainerStatus, which the tests check, so
# that this rule does not import the database layer.
USABLE_STATUS = "in_use"


@dataclass(frozen=True, slots=True)
class ResolvedContainer:
    """A labelled container as found in the database; lot and therapy are None when it has none."""

    container_id: int
    din: str
    kind: str
    lot_id: int | None
    lot_din: str | None
    therapy_coi: str | None
    status: str
    lot_state: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedCollection:
    """A collection (marrow aspirate) found by its DIN; lot is None until a lot is made from it."""

    collection_id: int
    din: str
    therapy_coi: str
    state: str
    lot_id: int | None = None
    lot_din: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedTherapy:
    """A therapy found by its COI identifier (a label's `&/` structure or the recipient's wristband)."""

    therapy_id: int
    coi: str
    state: str
    completed_at: datetime | None = None  # looked up only where a scan is identified rather than judged


Resolved = ResolvedContainer | ResolvedCollection | ResolvedTherapy


@dataclass(frozen=True, slots=True)
class StationExpectation:
    """What the station is waiting for; a None field is not checked."""

    lot_id: int | None = None
    lot_din: str | None = None
    therapy_coi: str | None = None
    container_kinds: frozenset[str] | None = None
    step: str | None = None


# How container kinds and the statuses that end a container's life are named in messages for people.
KIND_NAMES: dict[str, Text] = {
    "aspirate_bag": _("aspirate bag"),
    "culture_vessel": _("culture vessel"),
    "qc_sample": _("qc sample"),
    "final_product": _("final product"),
}
STATUS_NAMES: dict[str, Text] = {
    "consumed": _("consumed"),
    "infused": _("infused"),
    "destroyed": _("destroyed"),
}


def kind_name(kind: str) -> Text | str:
    """A container kind as people read it (an unknown kind as its words)."""
    return KIND_NAMES.get(kind) or kind.replace("_", " ")


def describe(resolved: Resolved) -> Text:
    """How a resolved scan is named in a message."""
    if isinstance(resolved, ResolvedContainer):
        return _("{kind} {din} (container {number})", kind=kind_name(resolved.kind), din=resolved.din,
                 number=resolved.container_id)
    if isinstance(resolved, ResolvedCollection):
        return _("collection {din}", din=resolved.din)
    return _("therapy {coi}", coi=resolved.coi)


def _lot_name(lot_id: int | None, lot_din: str | None) -> Text:
    return _("lot {din}", din=lot_din) if lot_din is not None else _("lot #{number}", number=lot_id)


def _differs(expected: object, found: object) -> bool | None:
    return None if expected is None or found is None else expected != found


def _lot_reasons(expectation: StationExpectation, resolved: Resolved, where: Text | str) -> list[Reason]:
    expected = _lot_name(expectation.lot_id, expectation.lot_din)
    if isinstance(resolved, ResolvedTherapy):
        return [Reason("scan.wrong_entity", _("{thing} names no lot; {expected} is expected{where}: scan a container",
                                              thing=describe(resolved), expected=expected, where=where))]
    if resolved.lot_id is None and resolved.lot_din is None:
        return [Reason("scan.no_lot", _("{thing} belongs to no lot; {expected} is expected{where}",
                                        thing=describe(resolved), expected=expected, where=where))]
    # Compared by id and by DIN wherever both sides know them; a difference in either is a mismatch,
    # and so is having nothing to compare (the lot cannot be confirmed).
    checks = (_differs(expectation.lot_id, resolved.lot_id), _differs(expectation.lot_din, resolved.lot_din))
    if True in checks or checks == (None, None):
        found = _lot_name(resolved.lot_id, resolved.lot_din)
        return [Reason("scan.wrong_lot", _("{thing} belongs to {found}, but {expected} is expected{where}",
                                           thing=describe(resolved), found=found, expected=expected, where=where))]
    return []


def _therapy_reasons(expected_coi: str, resolved: Resolved, where: Text | str) -> list[Reason]:
    found = resolved.coi if isinstance(resolved, ResolvedTherapy) else resolved.therapy_coi
    if found is None:
        return [Reason("scan.no_therapy", _("{thing} belongs to no therapy; therapy {expected} is expected{where}",
                                            thing=describe(resolved), expected=expected_coi, where=where))]
    if found != expected_coi:
        return [Reason("scan.wrong_therapy",
                       _("{thing} belongs to therapy {found}, but therapy {expected} is expected{where}",
                         thing=describe(resolved), found=found, expected=expected_coi, where=where))]
    return []


def _kinds_wanted(kinds: frozenset[str]) -> Text | str:
    names = [kind_name(kind) for kind in sorted(kinds, key=lambda kind: str(kind_name(kind)))]
    if not names:
        return _("no container")
    wanted: Text | str = names[0]
    for name in names[1:]:
        wanted = _("{either} or {other}", either=wanted, other=name)
    return wanted


def _kind_reasons(kinds: frozenset[str], resolved: Resolved, where: Text | str) -> list[Reason]:
    wanted = _kinds_wanted(kinds)
    if not isinstance(resolved, ResolvedContainer):
        return [Reason("scan.wrong_entity", _("{thing} is not a container; {wanted} is expected{where}",
                                              thing=describe(resolved), wanted=wanted, where=where))]
    if resolved.kind not in kinds:
        return [Reason("scan.wrong_container_kind", _("{thing} scanned; {wanted} is expected{where}",
                                                      thing=describe(resolved), wanted=wanted, where=where))]
    return []


def compare(expectation: StationExpectation, resolved: Resolved) -> list[Reason]:
    """Every way the resolved scan differs from what the station expects (empty: it is what was expected)."""
    where: Text | str = _(" at step {step}", step=expectation.step) if expectation.step else ""
    reasons: list[Reason] = []
    if expectation.lot_id is not None or expectation.lot_din is not None:
        reasons += _lot_reasons(expectation, resolved, where)
    if expectation.therapy_coi is not None:
        reasons += _therapy_reasons(expectation.therapy_coi, resolved, where)
    if expectation.container_kinds is not None:
        reasons += _kind_reasons(expectation.container_kinds, resolved, where)
    # Checked at every station: material that was used up, infused or destroyed is never used again.
    if isinstance(resolved, ResolvedContainer) and resolved.status != USABLE_STATUS:
        status = STATUS_NAMES.get(resolved.status) or resolved.status.replace("_", " ")
        reasons.append(Reason("scan.container_status", _("{thing} is {status}; it cannot be used{where}",
                                                         thing=describe(resolved), status=status, where=where)))
    return reasons
