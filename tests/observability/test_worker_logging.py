"""Every server process logs: the application's own lines are written by each worker of `serve --workers 2`."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
from observability.served import serving


def test_the_workers_of_serve_write_the_applications_info_lines(db_url: str, tmp_path: Path) -> None:
    with serving(db_url, tmp_path, workers=2) as served:
        # An anonymous request to the API is refused (401): the refusal is logged at INFO by the worker.
        answer = httpx.get(served.url + "/api/v1/lots/W000026000001", timeout=10.0)
        assert answer.status_code == 401
        line = served.wait_for("refused GET /api/v1/lots/W000026000001")
    assert "INFO" in line and "not_authenticated" in line
