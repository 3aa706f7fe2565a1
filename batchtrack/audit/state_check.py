"""Current state against the audit trail: every state column equals what its last audited transition set, and
every custody event has its audit entry (and every custody entry its event).

Someone with write access to the database can change `lot.state` or delete a custody event with the triggers off;
the chain stays intact. These checks read the records and the trail in a fixed number of set-based statements,
whatever the number of records: the last state-setting entry per record comes from one statement per kind of
entry, the newest ranked first per record among the actions that set that state (read through the action
index), never a query per record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Table, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from batchtrack.audit.findings import Check, Finding
from batchtrack.collections import workflow as collection_workflow
from batchtrack.lots import workflow as lot_workflow
from batchtrack.models.audit import AuditEntry
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.label import Label
from batchtrack.models.lot import Lot
from batchtrack.models.therapy import Therapy

_AUDIT: Table = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StateRule:
    """Audited actions that set a kind of record's state, and where each entry names the record and the state.

    `entity_types`: the entity the entries are about; `record_key`: the key of the entry's new values holding the
    record's id, or None when the entry's entity_id is the record's identifier; `keys`: (column, key of the new
    values that holds its new value).
    """

    record: str
    actions: tuple[str, ...]
    entity_types: tuple[str, ...]
    record_key: str | None
    keys: tuple[tuple[str, str], ...]
    record_key_is_list: bool = False


_LOT_KEYS = (("state", "state"), ("state_before_hold", "state_before_hold"))
_STATE = (("state", "state"),)
_STATUS = (("status", "status"),)

# Which audited entries set which record's state, under which key. Refusals (actions ending in "refused") record
# the state at the time of the refusal and set none: no row names them.
STATE_RULES: tuple[StateRule, ...] = (
    # lots.service.open_lot: a lot opens when its collection is accepted at receipt.
    StateRule("lot", ("lot.opened",), ("lot",), None, _LOT_KEYS),
    # lots.service.transition, f"lot.{name}": the lot page and API, QA's signed release and rejection
    # (release.service._decide), shipment and receipt at the clinic (bedside.handover), the last bag infused
    # (bedside.infusions._close_lot_if_done); "lot.hold" is also written by deviations.service._hold.
    StateRule("lot", tuple(f"lot.{name}" for name in lot_workflow.TRANSITIONS), ("lot",), None, _LOT_KEYS),
    # therapies.service.open_for: a signed assessment finds the recipient eligible.
    StateRule("therapy", ("therapy.opened",), ("therapy",), None, _STATE),
    # bedside.infusions._close_lot_if_done: the therapy completes with its lot's last infusion.
    StateRule("therapy", ("therapy.completed",), ("therapy",), None, _STATE),
    # collections.service.schedule.
    StateRule("collection", ("collection.scheduled",), ("collection",), None, _STATE),
    # collections.service.transition, f"collection.{name}": collect, dispatch, and receipt's decision (receive).
    StateRule("collection", tuple(f"collection.{name}" for name in collection_workflow.TRANSITIONS),
              ("collection",), None, _STATE),
    # collections.service.schedule registers the aspirate bag with its collection.
    StateRule("container", ("collection.scheduled",), ("collection",), "bag_id", (("status", "bag_status"),)),
    # lots.service.add_containers (also processing.recording.add_vessels); bedside.infusions.record_infusion.
    StateRule("container", ("container.registered", "container.infused"), ("lot",), "container_id", _STATUS),
    # processing.service._consume_vessels_in: a completed step used up the vessels it took in.
    StateRule("container", ("container.consumed",), ("container",), None, _STATUS),
    # labels.service.print_labels: one entry per print job (about the lot, or the collection whose bag it labels),
    # naming every label it printed.
    StateRule("label", ("label.printed", "label.reprinted"), ("lot", "collection"), "label_ids", _STATUS,
              record_key_is_list=True),
    # labels.service.apply_label and close_label (voided, destroyed).
    StateRule("label", ("label.applied", "label.voided", "label.destroyed"), ("container",), "label_id",
              _STATUS),
)


@dataclass(frozen=True, slots=True)
class _Recorded:
    """What a record's row holds: how to name it, and its state columns by name."""

    subject: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Set:
    """The last audited entry that set a record's state, and the values it set."""

    seq: int
    action: str
    values: dict[str, Any]


def check_states(*, session: Session) -> list[Finding]:
    """Every state column against the state its last audited transition set; records and entries left alone."""
    dialect = session.get_bind().dialect.name
    findings: list[Finding] = []
    for record, rows in _records(session).items():
        last: dict[str, _Set] = {}
        for rule in _merged(r for r in STATE_RULES if r.record == record):
            for key, found in _last_set(session, dialect, rule).items():
                if key not in last or found.seq > last[key].seq:
                    last[key] = found
        findings += _compare(record, rows, last)
    return findings


def check_custody(*, session: Session) -> list[Finding]:
    """Every custody event against its audit entry ("custody.handed_over", naming the event), both ways."""
    dialect = session.get_bind().dialect.name
    events = {str(event_id): str(container_id) for event_id, container_id in session.execute(
        select(CustodyEvent.id, CustodyEvent.container_id)).all()}  # type: ignore[call-overload]
    entries = session.execute(
        select(_AUDIT.c.seq, _AUDIT.c.entity_type, _AUDIT.c.entity_id,
               _json_text(_AUDIT.c.new_values, "event_id", dialect))
        .where(_AUDIT.c.action == "custody.handed_over").order_by(_AUDIT.c.seq)).all()
    findings: list[Finding] = []
    audited: dict[str, int] = {}
    for seq, entity_type, container_id, event_id in entries:
        if entity_type != "container":
            continue  # not a hand-over the application records (those are about the container)
        key = _text(event_id)
        subject = f"custody event {key} (container {container_id})"
        if key in audited:
            findings.append(Finding(Check.CUSTODY, subject, f"entry #{seq} records it again (first: #{audited[key]})"))
            continue
        audited[key] = seq
        if key not in events:
            findings.append(Finding(Check.CUSTODY, subject,
                                    f"entry #{seq} records it, but there is no such custody event"))
        elif events[key] != container_id:
            findings.append(Finding(Check.CUSTODY, subject, f"the event names container {events[key]}; its entry "
                                                            f"#{seq} recorded container {container_id}"))
    for key, container_id in sorted(events.items(), key=lambda item: int(item[0])):
        if key not in audited:
            findings.append(Finding(Check.CUSTODY, f"custody event {key} (container {container_id})",
                                    "recorded, but no audit entry records it"))
    return findings


def _records(session: Session) -> dict[str, dict[str, _Recorded]]:
    """Every record with a state column, by its identifier as the audit entries name it, one query per table."""
    lots = {din: _Recorded(f"lot {din}", {"state": state, "state_before_hold": before}) for din, state, before
            in session.execute(select(Lot.din, Lot.state, Lot.state_before_hold)).all()}  # type: ignore[call-overload]
    therapies = {coi: _Recorded(f"therapy {coi}", {"state": state})
                 for coi, state in session.execute(select(Therapy.coi, Therapy.state)).all()}  # type: ignore[call-overload]
    collections = {din: _Recorded(f"collection {din}", {"state": state}) for din, state
                   in session.execute(select(Collection.din, Collection.state)).all()}  # type: ignore[call-overload]
    containers = {
        str(row.id): _Recorded(f"container {row.id} ({row.din} {row.kind.replace('_', ' ')} "
                               f"{row.division if row.kind == 'final_product' else row.sample_flag})",
                               {"status": row.status})
        for row in session.execute(select(Container.id, Container.din, Container.kind,  # type: ignore[call-overload]
                                          Container.division, Container.sample_flag, Container.status)).all()
    }
    labels = {str(label_id): _Recorded(f"label #{label_id} (container {container_id})", {"status": status})
              for label_id, container_id, status in session.execute(
                  select(Label.id, Label.container_id, Label.status)).all()}  # type: ignore[call-overload]
    return {"lot": lots, "therapy": therapies, "collection": collections, "container": containers, "label": labels}


def _merged(rules: Iterable[StateRule]) -> list[StateRule]:
    """Rules that read entries alike joined into one, so that each is one statement over all their actions."""
    joined: dict[tuple[Any, ...], StateRule] = {}
    for rule in rules:
        shape = (rule.entity_types, rule.record_key, rule.keys, rule.record_key_is_list)
        before = joined.get(shape)
        actions = tuple(dict.fromkeys((*before.actions, *rule.actions))) if before else rule.actions
        joined[shape] = replace(rule, actions=actions)
    return list(joined.values())


def _last_set(session: Session, dialect: str, rule: StateRule) -> dict[str, _Set]:
    """The last entry of `rule` per record it names, with the values it set: one statement."""
    # Restricted by action alone in SQL, so that both engines read the action index (SQLite, which has no
    # statistics, would otherwise walk the entity index over every entry about a lot); the entity type is
    # grouped on and checked on the rows found.
    where = _AUDIT.c.action.in_(rule.actions)
    if rule.record_key_is_list:
        # One entry names several records (a print job's labels): read each entry, newest wins per record.
        found: dict[str, _Set] = {}
        for seq, action, entity_type, new_values in session.execute(
                select(_AUDIT.c.seq, _AUDIT.c.action, _AUDIT.c.entity_type, _AUDIT.c.new_values).where(where)
                .order_by(_AUDIT.c.seq)):
            if entity_type in rule.entity_types:
                new = json.loads(new_values)
                values = {column: new.get(key) for column, key in rule.keys}
                for record_id in new.get(rule.record_key, []):
                    found[str(record_id)] = _Set(seq, action, values)
        return found
    record_id = (_AUDIT.c.entity_id if rule.record_key is None
                 else _json_text(_AUDIT.c.new_values, rule.record_key, dialect))
    # The newest entry per record ranked in the same pass, not found again by its seq: on PostgreSQL that join back
    # to the entries was a hash join over a full scan of the trail.
    newest_first = func.row_number().over(partition_by=(_AUDIT.c.entity_type, record_id),
                                          order_by=_AUDIT.c.seq.desc())
    state = [_json_text(_AUDIT.c.new_values, key, dialect).label(column) for column, key in rule.keys]
    ranked = select(_AUDIT.c.entity_type, record_id.label("record_id"), _AUDIT.c.seq, _AUDIT.c.action, *state,
                    newest_first.label("rank")).where(where).subquery()
    rows = session.execute(select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1))
    return {_text(row[1]): _Set(row[2], row[3], {column: row[4 + i] for i, (column, _) in enumerate(rule.keys)})
            for row in rows if row[0] in rule.entity_types}


def _compare(record: str, rows: dict[str, _Recorded], last: dict[str, _Set]) -> list[Finding]:
    """Each record against the last entry that set its state, then the entries whose record is gone."""
    findings: list[Finding] = []
    for key in _ordered(rows):
        row, found = rows[key], last.get(key)
        for column, value in row.values.items():
            if found is None:
                findings.append(Finding(Check.STATE, row.subject, f"{column} is {value!r}; no audited creation or "
                                                                  "transition of it is recorded"))
                break
            if value != found.values[column]:
                findings.append(Finding(Check.STATE, row.subject, f"{column} is {value!r}; its last audited "
                                                                  f"transition set {found.values[column]!r} "
                                                                  f"(entry #{found.seq})"))
    for key in _ordered(last.keys() - rows.keys()):
        found = last[key]
        values = ", ".join(f"{column} {value!r}" for column, value in found.values.items())
        subject = f"label #{key}" if record == "label" else f"{record} {key}"  # as a recorded label is named
        findings.append(Finding(Check.STATE, subject, f"entry #{found.seq} ({found.action}) set {values}, "
                                                      f"but there is no such {record}"))
    return findings


def _ordered(keys: Iterable[str]) -> Sequence[str]:
    """Identifiers in a stable order: numeric ids by number, others as text."""
    return sorted(keys, key=lambda k: (0, int(k), "") if k.isdigit() else (1, 0, k))


def _json_text(column: Any, key: str, dialect: str) -> ColumnElement[Any]:
    """The value of `key` at the top of a JSON text column, as SQL the dialect runs (the key is a constant)."""
    if dialect == "postgresql":
        return cast(column, JSONB).op("->>")(literal_column(f"'{key}'"))
    return func.json_extract(column, literal_column(f"'$.\"{key}\"'"))


def _text(value: Any) -> str:
    """An identifier read from a column or JSON (text, or a number on SQLite) as the records' key."""
    return str(value)
