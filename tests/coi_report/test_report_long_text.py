"""The chain-of-identity printout of a therapy whose label was destroyed with the longest reason the API accepts, in
Latin and in Hangul: every role still gets the PDF (it answered 500, "row too high"), with the whole reason in it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from document_builders import column_length, field_length, filler, folded, pages, printed_whole
from fastapi.testclient import TestClient
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import schemas as label_schemas
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.label import Label
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
ROLES = (Role.QA, Role.OPERATOR, Role.INVESTIGATOR, Role.COURIER)
API_REASON = field_length(label_schemas.LabelClose, "reason")  # LongText: 4,000 characters
LABEL_REASON_COLUMN = column_length(Label, "closed_reason")
REASONS = [
    pytest.param(filler(API_REASON, "latin"), id="latin-api-longest"),
    pytest.param(filler(API_REASON, "hangul"), id="hangul-api-longest"),
    pytest.param(filler(min(API_REASON, LABEL_REASON_COLUMN), "hangul"), id="hangul-column-longest"),
]


def _aspirate_label(database: Database, din: str) -> int:
    with database.transaction(write=False) as session:
        label_id = session.execute(
            select(Label.id).join(Container, col(Container.id) == col(Label.container_id))
            .join(Collection, col(Collection.din) == col(Container.din)).where(col(Collection.din) == din)
        ).scalar_one()
    assert label_id is not None
    return label_id


@pytest.mark.parametrize("reason", REASONS)
def test_a_label_destroyed_with_the_longest_reason_still_prints_in_the_report_for_every_role(
    database: Database, settings: Settings, as_role: ClientFactory, reason: str
) -> None:
    lot = seed_lot(database, settings)
    label_id = _aspirate_label(database, lot.din)
    qa, _ = as_role(Role.QA)
    destroyed = qa.post(f"/api/v1/labels/{label_id}/destroy", json={"reason": reason})
    assert destroyed.status_code == 200, destroyed.text
    for role in ROLES:
        client, _ = as_role(role)
        for path in (f"/api/v1/therapies/{lot.coi}/report.pdf", f"/therapies/{lot.coi}/report.pdf"):
            response = client.get(path)
            assert response.status_code == 200, (role, path, response.text[:200])
            assert response.content.startswith(b"%PDF-")
    # Nothing of the reason is cut off: all of it is in the printout, across as many pages as it needs.
    assert reason.strip() == reason
    assert printed_whole(reason, folded(response.content), pieces=len(pages(response.content)))
