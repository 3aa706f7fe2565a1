"""Where each test of a lot's specification stands: its result in force (read by the release gate)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.models.lot import Lot
from batchtrack.models.quality import QcResult, ResultStatus, Specification
from batchtrack.quality import specifications
from batchtrack.release.gate import TestStanding


def results_in_force(*, session: Session, lot: Lot, as_of: datetime | None = None) -> dict[str, QcResult]:
    """The result in force of each test: the latest not replaced by a correction, a final one before any
    preliminary one (a preliminary result entered after the final one does not undo it); `as_of`: among the
    results entered by then."""
    query = select(QcResult).where(col(QcResult.lot_id) == lot.id)
    if as_of is not None:
        query = query.where(col(QcResult.entered_at) <= as_of)
    return in_force_of(list(session.execute(query.order_by(col(QcResult.id))).scalars()))


def in_force_of(rows: Sequence[QcResult]) -> dict[str, QcResult]:
    """Among one lot's results in the order they were entered, the result in force of each test (pure)."""
    replaced = {row.replaces_id for row in rows if row.replaces_id is not None}
    in_force: dict[str, QcResult] = {}
    for row in rows:
        if row.id in replaced:
            continue
        current = in_force.get(row.test_code)
        if current is None or row.status == ResultStatus.FINAL or current.status != ResultStatus.FINAL:
            in_force[row.test_code] = row
    return in_force


def standings(*, session: Session, lot: Lot) -> tuple[TestStanding, ...]:
    """Every test of the lot's specification with the status and conformity of its result in force."""
    if lot.specification_id is None:
        return ()
    spec = session.get(Specification, lot.specification_id)
    assert spec is not None
    results = results_in_force(session=session, lot=lot)
    out = []
    for test in specifications.content_of(spec).tests:
        result = results.get(test.code)
        out.append(TestStanding(code=test.code, title=test.title, stage=test.stage,
                                status=result.status if result else None,
                                conforms=result.conforms if result else None))
    return tuple(out)
