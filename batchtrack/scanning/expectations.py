"""Compare what a station expects with what a scan resolved to: every mismatch, as a Reason (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from batchtrack.errors import Reason

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


Resolved = ResolvedContainer | ResolvedCollection | ResolvedTherapy


@dataclass(frozen=True, slots=True)
class StationExpectation:
    """What the station is waiting for; a None field is not checked."""

    lot_id: int | None = None
    lot_din: str | None = None
    therapy_coi: str | None = None
    container_kinds: frozenset[str] | None = None
    step: str | None = None


def describe(resolved: Resolved) -> str:
    """How a resolved scan is named in a message."""
    if isinstance(resolved, ResolvedContainer):
        return f"{resolved.kind.replace('_', ' ')} {resolved.din} (container {resolved.container_id})"
    if isinstance(resolved, ResolvedCollection):
        return f"collection {resolved.din}"
    return f"therapy {resolved.coi}"


def _lot_name(lot_id: int | None, lot_din: str | None) -> str:
    return f"lot {lot_din}" if lot_din is not None else f"lot #{lot_id}"


def _differs(expected: object, found: object) -> bool | None:
    return None if expected is None or found is None else expected != found


def _lot_reasons(expectation: StationExpectation, resolved: Resolved, where: str) -> list[Reason]:
    expected = _lot_name(expectation.lot_id, expectation.lot_din)
    if isinstance(resolved, ResolvedTherapy):
        message = f"{describe(resolved)} names no lot; {expected} is expected{where}: scan a container"
        return [Reason("scan.wrong_entity", message)]
    if resolved.lot_id is None and resolved.lot_din is None:
        return [
            Reason("scan.no_lot", f"{describe(resolved)} belongs to no lot; {expected} is expected{where}")
        ]
    # Compared by id and by DIN wherever both sides know them; a difference in either is a mismatch,
    # and so is having nothing to compare (the lot cannot be confirmed).
    checks = (_differs(expectation.lot_id, resolved.lot_id), _differs(expectation.lot_din, resolved.lot_din))
    if True in checks or checks == (None, None):
        found = _lot_name(resolved.lot_id, resolved.lot_din)
        message = f"{describe(resolved)} belongs to {found}, but {expected} is expected{where}"
        return [Reason("scan.wrong_lot", message)]
    return []


def _therapy_reasons(expected_coi: str, resolved: Resolved, where: str) -> list[Reason]:
    found = resolved.coi if isinstance(resolved, ResolvedTherapy) else resolved.therapy_coi
    if found is None:
        message = f"{describe(resolved)} belongs to no therapy; therapy {expected_coi} is expected{where}"
        return [Reason("scan.no_therapy", message)]
    if found != expected_coi:
        message = (
            f"{describe(resolved)} belongs to therapy {found}, but therapy {expected_coi} is expected{where}"
        )
        return [Reason("scan.wrong_therapy", message)]
    return []


def _kind_reasons(kinds: frozenset[str], resolved: Resolved, where: str) -> list[Reason]:
    wanted = " or ".join(sorted(kind.replace("_", " ") for kind in kinds)) or "no container"
    if not isinstance(resolved, ResolvedContainer):
        return [
            Reason(
                "scan.wrong_entity", f"{describe(resolved)} is not a container; {wanted} is expected{where}"
            )
        ]
    if resolved.kind not in kinds:
        return [
            Reason("scan.wrong_container_kind", f"{describe(resolved)} scanned; {wanted} is expected{where}")
        ]
    return []


def compare(expectation: StationExpectation, resolved: Resolved) -> list[Reason]:
    """Every way the resolved scan differs from what the station expects (empty: it is what was expected)."""
    where = f" at step {expectation.step}" if expectation.step else ""
    reasons: list[Reason] = []
    if expectation.lot_id is not None or expectation.lot_din is not None:
        reasons += _lot_reasons(expectation, resolved, where)
    if expectation.therapy_coi is not None:
        reasons += _therapy_reasons(expectation.therapy_coi, resolved, where)
    if expectation.container_kinds is not None:
        reasons += _kind_reasons(expectation.container_kinds, resolved, where)
    # Checked at every station: material that was used up, infused or destroyed is never used again.
    if isinstance(resolved, ResolvedContainer) and resolved.status != USABLE_STATUS:
        message = f"{describe(resolved)} is {resolved.status.replace('_', ' ')}; it cannot be used{where}"
        reasons.append(Reason("scan.container_status", message))
    return reasons
