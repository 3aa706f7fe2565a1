"""A state badge reads in the page's language: a material lot QA released is 'released for use' (사용 승인됨 in Korean),
not a lot's 'released'; the English reads as the stored code always did."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user
from material_builders import HTML, released_material, signed_in


def _status(page: str) -> str:
    match = re.search(r'id="material-status"><span class="badge state-released">([^<]+)</span>', page)
    assert match, page[:300]
    return match.group(1)


def test_a_state_badge_is_shown_in_the_readers_language(
    client: TestClient, database: Database, settings: Settings
) -> None:
    code = released_material(database, settings, make_user(database, Role.OPERATOR), make_user(database, Role.QA))
    signed_in(client, make_user(database, Role.OPERATOR))
    assert _status(client.get(f"/materials/{code}", headers={**HTML, "accept-language": "ko"}).text) == "사용 승인됨"
    english = client.get(f"/materials/{code}", headers={**HTML, "accept-language": "en"}).text
    assert _status(english) == "released for use"
    listing = client.get("/materials", headers={**HTML, "accept-language": "ko"}).text
    assert '<span class="badge state-released">사용 승인됨</span>' in listing
