"""The workstations a processing screen may serve: the biosafety cabinets in the equipment register, each known by
the asset tag on its label, and any workstation a lot is still open at.

`label_read` and `choice_refusal` are pure rules; `registered` and `chosen` read the register in bounded queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.i18n.text import Text, _
from batchtrack.models.equipment import Equipment, EquipmentKind
from batchtrack.models.lot import Lot
from batchtrack.models.processing import Workstation
from batchtrack.scanning import cleaning

# The most workstations the chooser lists (a facility has a handful of cabinets; the list stays one screen).
MOST_LISTED = 100
# An asset tag is at most 20 characters; a longer text is no tag, whatever it holds.
MAX_TAG = 20


@dataclass(frozen=True, slots=True)
class WorkstationChoice:
    """A workstation as the chooser offers it: its name (the cabinet's asset tag) and the lot open at it."""

    name: str
    description: str = ""
    location: str = ""
    lot_din: str | None = None
    registered: bool = True  # False: not a cabinet of the register, listed because a lot is still open at it


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """What the register holds under a tag, for `choice_refusal`."""

    kind: str
    active: bool


def label_read(text: str) -> str:
    """The asset tag a scan or a typed text names: scanner additions and Hangul-mode damage undone, upper case
    ("" when nothing readable is left)."""
    cleaned = cleaning.clean(text[:cleaning.MAX_RAW_LENGTH])
    return cleaned.upper() if isinstance(cleaned, str) else ""


def choice_refusal(tag: str, entry: RegisterEntry | None) -> Text | None:
    """Why a tag cannot name the workstation this screen serves: None for an active biosafety cabinet."""
    if not tag:
        return _("Nothing was scanned or typed: scan the label on the workstation's cabinet, or choose it from the "
                 "list.")
    if entry is None:
        return _("No workstation is registered under {tag}: scan the label on the workstation's cabinet, or choose "
                 "it from the list.", tag=tag[:MAX_TAG])
    if entry.kind != EquipmentKind.BIOSAFETY_CABINET:
        return _("{tag} is an instrument, not a workstation's biosafety cabinet: scan the label on the cabinet.",
                 tag=tag)
    if not entry.active:
        return _("{tag} is out of service: choose another workstation.", tag=tag)
    return None


def _open_lots(session: Session, names: list[str] | None = None) -> dict[str, str]:
    """Workstation name -> the DIN of the lot open at it (of `names` only, when given)."""
    query = (select(col(Workstation.name), col(Lot.din)).join(Lot, col(Lot.id) == col(Workstation.lot_id))
             .order_by(col(Workstation.name)).limit(MOST_LISTED))
    if names is not None:
        query = query.where(col(Workstation.name).in_(names))
    return {name: din for name, din in session.execute(query).all()}


def registered(*, session: Session) -> list[WorkstationChoice]:
    """The active biosafety cabinets by tag, with the lot open at each; then any other workstation a lot is open at
    (so that it can still be reached and closed)."""
    cabinets = session.execute(
        select(Equipment).where(col(Equipment.kind) == EquipmentKind.BIOSAFETY_CABINET, col(Equipment.active))
        .order_by(col(Equipment.code)).limit(MOST_LISTED)
    ).scalars().all()
    open_lots = _open_lots(session)
    choices = [WorkstationChoice(cabinet.code, cabinet.description, cabinet.location, open_lots.get(cabinet.code))
               for cabinet in cabinets]
    listed = {choice.name for choice in choices}
    choices += [WorkstationChoice(name, lot_din=din, registered=False)
                for name, din in open_lots.items() if name not in listed]
    return choices


def register_entry(*, session: Session, tag: str) -> RegisterEntry | None:
    """What the equipment register holds under `tag` (None: nothing, or no tag could be that long)."""
    found = session.execute(
        select(col(Equipment.kind), col(Equipment.active)).where(col(Equipment.code) == tag)
    ).first() if tag and len(tag) <= MAX_TAG else None
    return RegisterEntry(found[0], bool(found[1])) if found is not None else None


def opening_refusal(*, session: Session, name: str) -> Text | None:
    """Why no lot may be opened at the workstation `name`: None for an active biosafety cabinet of the register.
    The same rule as the chooser's, for every caller of the service (pages and API)."""
    return choice_refusal(name, register_entry(session=session, tag=name))


def chosen(*, session: Session, text: str) -> tuple[str | None, Text | None]:
    """The workstation a scanned or typed tag names, or why it names none: (name, None) or (None, reason). A
    workstation a lot is still open at is chosen by its name too."""
    tag = label_read(text)
    entry = register_entry(session=session, tag=tag)
    refusal = choice_refusal(tag, entry)
    if refusal is None:
        return tag, None
    still_open = _open_lots(session, [tag[:64]]) if tag and entry is None else {}
    if still_open:
        return next(iter(still_open)), None
    return None, refusal


def is_registered(*, session: Session, name: str) -> bool:
    """True when `name` is an active biosafety cabinet's tag."""
    return session.execute(
        select(col(Equipment.id)).where(col(Equipment.code) == name[:MAX_TAG],
                                        col(Equipment.kind) == EquipmentKind.BIOSAFETY_CABINET,
                                        col(Equipment.active))
    ).first() is not None
