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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSON, distinct_on
from sqlalchemy.orm import Session

from batchtrack.audit.findings import Check, Finding
from batchtrack.collections import workflow as collection_workflow
from batchtrack.i18n.text import Text, _
from batchtrack.lots import workflow as lot_workflow
from batchtrack.models.audit import AuditEntry
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.label import Label
from batchtrack.models.lot import Lot
from batchtrack.models.therapy import Therapy

_AUDIT: Table = AuditEntry.__table__  # type: ignore[attr-defined]
_Row = Sequence[Any]  # a Core row, read by position


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
class _Kind:
    """A kind of record with state columns: how its rows are read, keyed as the entries name them, and named."""

    record: str
    columns: tuple[str, ...]
    read: Callable[[Connection], dict[str, _Row]]
    subject: Callable[[str, _Row], Text]


@dataclass(frozen=True, slots=True)
class _Set:
    """The last audited entry that set a record's state, and the values it set (in its kind's column order)."""

    seq: int
    action: str
    values: tuple[Any, ...]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _keyed(connection: Connection, *columns: Any) -> dict[str, _Row]:
    """Rows of one table by their first column as text; plain Core rows, built only as they are read."""
    return {str(row[0]): row for row in connection.execute(select(*columns))}


_LOT, _THERAPY, _COLLECTION = _table(Lot).c, _table(Therapy).c, _table(Collection).c
_CONTAINER, _LABEL = _table(Container).c, _table(Label).c
# Every record with a state column, one query per table; the columns compared follow the key and the name's parts.
_KINDS: tuple[_Kind, ...] = (
    _Kind("lot", ("state", "state_before_hold"),
          lambda c: _keyed(c, _LOT.din, _LOT.state, _LOT.state_before_hold), lambda key, _row: _("lot {din}", din=key)),
    _Kind("therapy", ("state",), lambda c: _keyed(c, _THERAPY.coi, _THERAPY.state),
          lambda key, _row: _("therapy {coi}", coi=key)),
    _Kind("collection", ("state",), lambda c: _keyed(c, _COLLECTION.din, _COLLECTION.state),
          lambda key, _row: _("collection {din}", din=key)),
    _Kind("container", ("status",),
          lambda c: _keyed(c, _CONTAINER.id, _CONTAINER.status, _CONTAINER.din, _CONTAINER.kind,
                           _CONTAINER.division, _CONTAINER.sample_flag),
          lambda key, row: _("container {id} ({din} {kind} {which})", id=key, din=row[2],
                             kind=row[3].replace("_", " "), which=row[4] if row[3] == "final_product" else row[5])),
    _Kind("label", ("status",), lambda c: _keyed(c, _LABEL.id, _LABEL.status, _LABEL.container_id),
          lambda key, row: _("label #{id} (container {container})", id=key, container=row[2])),
)


# Each kind of record by its name, and as a finding names one of them by its identifier alone.
_RECORD_NAMES = {"lot": _("lot"), "therapy": _("therapy"), "collection": _("collection"), "container": _("container"),
                 "label": _("label")}
_NAMED_BY_KEY = {"lot": lambda key: _("lot {din}", din=key), "therapy": lambda key: _("therapy {coi}", coi=key),
                 "collection": lambda key: _("collection {din}", din=key),
                 "container": lambda key: _("container {id}", id=key), "label": lambda key: _("label #{id}", id=key)}


def check_states(*, session: Session) -> list[Finding]:
    """Every state column against the state its last audited transition set; records and entries left alone."""
    # Plain Core rows on the session's connection, compared as tuples; subjects are written for findings only.
    # With the newest entry per record picked by the database without a window, this took the checks of 100,000
    # lots from some 13 s of processor time to 4 (SQLite), the most the full verification could spare.
    connection = session.connection()
    dialect = connection.dialect.name
    findings: list[Finding] = []
    for kind in _KINDS:
        rows = kind.read(connection)
        last: dict[str, _Set] = {}
        for rule in _merged(r for r in STATE_RULES if r.record == kind.record):
            for key, found in _last_set(connection, dialect, rule, kind.columns).items():
                before = last.get(key)
                if before is None or found.seq > before.seq:
                    last[key] = found
        findings += _compare(kind, rows, last)
    return findings


def _custody_event(event_id: str, container_id: str) -> Text:
    """How a finding names a custody event."""
    return _("custody event {event} (container {container})", event=event_id, container=container_id)


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
        subject = _custody_event(key, container_id)
        if key in audited:
            findings.append(Finding(Check.CUSTODY, subject, _("entry #{seq} records it again (first: #{first})",
                                                              seq=seq, first=audited[key])))
            continue
        audited[key] = seq
        if key not in events:
            findings.append(Finding(Check.CUSTODY, subject,
                                    _("entry #{seq} records it, but there is no such custody event", seq=seq)))
        elif events[key] != container_id:
            findings.append(Finding(Check.CUSTODY, subject, _(
                "the event names container {named}; its entry #{seq} recorded container {recorded}",
                named=events[key], seq=seq, recorded=container_id)))
    for key, container_id in sorted(events.items(), key=lambda item: int(item[0])):
        if key not in audited:
            findings.append(Finding(Check.CUSTODY, _custody_event(key, container_id),
                                    _("recorded, but no audit entry records it")))
    return findings


def _merged(rules: Iterable[StateRule]) -> list[StateRule]:
    """Rules that read entries alike joined into one, so that each is one statement over all their actions."""
    joined: dict[tuple[Any, ...], StateRule] = {}
    for rule in rules:
        shape = (rule.entity_types, rule.record_key, rule.keys, rule.record_key_is_list)
        before = joined.get(shape)
        actions = tuple(dict.fromkeys((*before.actions, *rule.actions))) if before else rule.actions
        joined[shape] = replace(rule, actions=actions)
    return list(joined.values())


def _last_set(connection: Connection, dialect: str, rule: StateRule, columns: tuple[str, ...]) -> dict[str, _Set]:
    """The last entry of `rule` per record it names, with the values it set for `columns`: one statement."""
    # Restricted by action alone in SQL, so that both engines read the action index (SQLite, which has no
    # statistics, would otherwise walk the entity index over every entry about a lot); the entity type is
    # grouped on and checked on the rows found.
    where = _AUDIT.c.action.in_(rule.actions)
    json_keys = dict(rule.keys)
    if rule.record_key_is_list:
        # One entry names several records (a print job's labels): read each entry, newest wins per record.
        found: dict[str, _Set] = {}
        for seq, action, entity_type, new_values in connection.execute(
                select(_AUDIT.c.seq, _AUDIT.c.action, _AUDIT.c.entity_type, _AUDIT.c.new_values).where(where)
                .order_by(_AUDIT.c.seq)):
            if entity_type in rule.entity_types:
                new = json.loads(new_values)
                values = tuple(new.get(json_keys[column]) for column in columns)
                for record_id in new.get(rule.record_key, []):
                    found[str(record_id)] = _Set(seq, action, values)
        return found
    record_id = (_AUDIT.c.entity_id if rule.record_key is None
                 else _json_text(_AUDIT.c.new_values, rule.record_key, dialect)).label("record_id")
    state = [_json_text(_AUDIT.c.new_values, json_keys[column], dialect).label(column) for column in columns]
    if dialect == "sqlite":
        # SQLite takes the other columns of an aggregate query with a single max() from the row that holds the
        # maximum (documented): the newest entry per record without ranking every entry.
        newest = (select(_AUDIT.c.entity_type, record_id, func.max(_AUDIT.c.seq), _AUDIT.c.action, *state)
                  .where(where).group_by(_AUDIT.c.entity_type, literal_column("record_id")))
    else:
        newest = (select(_AUDIT.c.entity_type, record_id, _AUDIT.c.seq, _AUDIT.c.action, *state).where(where)
                  .ext(distinct_on(_AUDIT.c.entity_type, literal_column("record_id")))
                  .order_by(_AUDIT.c.entity_type, literal_column("record_id"), _AUDIT.c.seq.desc()))
    return {_text(row[1]): _Set(row[2], row[3], tuple(row[4:])) for row in connection.execute(newest)
            if row[0] in rule.entity_types}


def _compare(kind: _Kind, rows: dict[str, _Row], last: dict[str, _Set]) -> list[Finding]:
    """Each record against the last entry that set its state, then the entries whose record is gone."""
    width = len(kind.columns)
    differing = [key for key, row in rows.items()
                 if (found := last.get(key)) is None or tuple(row[1:1 + width]) != found.values]
    findings: list[Finding] = []
    for key in _ordered(differing):
        row, found = rows[key], last.get(key)
        subject = kind.subject(key, row)
        if found is None:
            findings.append(Finding(Check.STATE, subject, _(
                "{column} is {value}; no audited creation or transition of it is recorded", column=kind.columns[0],
                value=repr(row[1]))))
            continue
        for column, value, set_value in zip(kind.columns, row[1:1 + width], found.values, strict=True):
            if value != set_value:
                findings.append(Finding(Check.STATE, subject, _(
                    "{column} is {value}; its last audited transition set {set_value} (entry #{seq})", column=column,
                    value=repr(value), set_value=repr(set_value), seq=found.seq)))
    for key in _ordered(last.keys() - rows.keys()):
        found = last[key]
        values = ", ".join(f"{column} {value!r}" for column, value in zip(kind.columns, found.values, strict=True))
        subject = _NAMED_BY_KEY[kind.record](key)
        findings.append(Finding(Check.STATE, subject, _(
            "entry #{seq} ({action}) set {values}, but there is no such {record}", seq=found.seq, action=found.action,
            values=values, record=_RECORD_NAMES[kind.record])))
    return findings


def _ordered(keys: Iterable[str]) -> Sequence[str]:
    """Identifiers in a stable order: numeric ids by number, others as text."""
    return sorted(keys, key=lambda k: (0, int(k), "") if k.isdigit() else (1, 0, k))


def _json_text(column: Any, key: str, dialect: str) -> ColumnElement[Any]:
    """The value of `key` at the top of a JSON text column, as SQL the dialect runs (the key is a constant)."""
    if dialect == "postgresql":
        # json, not jsonb: ->> on the text reads one key where jsonb first builds the whole value (the lots'
        # statement over 500,000 entries: 2.4-2.9 s against 3.2-3.7 s); both take the last of duplicate keys.
        return cast(column, JSON).op("->>")(literal_column(f"'{key}'"))
    return func.json_extract(column, literal_column(f"'$.\"{key}\"'"))


def _text(value: Any) -> str:
    """An identifier read from a column or JSON (text, or a number on SQLite) as the records' key."""
    return str(value)
