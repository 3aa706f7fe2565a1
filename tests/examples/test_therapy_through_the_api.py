"""The integrators' example (examples/therapy_through_the_api.py) carries a therapy from enrolment to infusion
against a live server, through HTTP alone, and the records show it: the lot infused, every bag once."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.bedside import Infusion
from batchtrack.models.lot import Lot
from batchtrack.models.user import Role
from batchtrack.quality import specification

from builders import UserHandle, make_user
from capture_printer import CapturingPrinter
from processing_builders import INSTRUMENTS, MATERIAL_KINDS, add_instrument, add_material
from release_builders import approve_specification, conforming

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "therapy_through_the_api.py"
STATION = INSTRUMENTS["biosafety_cabinet"]  # a workstation is a registered biosafety cabinet
START_S = 10.0
RUN_S = 300.0


class LiveServer:
    """The test's application served by uvicorn on a free local port, in a thread of the test process."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="example-server", daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + START_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=START_S)
        self._socket.close()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The base URL of the test's application, served over real HTTP."""
    with LiveServer(app) as server:
        yield server.url


@pytest.fixture
def printer(settings: Settings) -> Iterator[CapturingPrinter]:
    """The workstation's label printer, capturing what it is sent."""
    capture = CapturingPrinter()
    settings.station_printers = {STATION: capture.address}
    yield capture
    capture.close()


def _person(user: UserHandle) -> dict[str, str]:
    return {"username": user.username, "password": user.password, "token": user.token}


def test_the_example_carries_a_therapy_from_enrolment_to_infusion(
    database: Database, live_server: str, printer: CapturingPrinter, tmp_path: Path
) -> None:
    # What an installation has before the first therapy: people, a specification approved, stock, instruments.
    approve_specification(database, make_user(database, Role.QA))
    for number, kind in enumerate(MATERIAL_KINDS, start=1):
        add_material(database, kind, f"MT27{number:05d}")
    for kind, code in INSTRUMENTS.items():
        add_instrument(database, kind, code)
    crew = {"investigator": make_user(database, Role.INVESTIGATOR, Role.COLLECTOR),
            "courier": make_user(database, Role.COURIER), "operator": make_user(database, Role.OPERATOR),
            "verifier": make_user(database, Role.OPERATOR), "analyst": make_user(database, Role.QC_ANALYST),
            "qa": make_user(database, Role.QA), "nurse": make_user(database, Role.NURSE),
            "second_clinician": make_user(database, Role.INVESTIGATOR)}
    crew_file, qc_file = tmp_path / "crew.json", tmp_path / "qc.json"
    crew_file.write_text(json.dumps({part: _person(user) for part, user in crew.items()}))
    results = []
    for test in specification.shipped_default().tests:
        value, text = conforming(test)
        results.append({"test_code": test.code, "value": value, "result_text": text})
    qc_file.write_text(json.dumps(results))

    finished = subprocess.run(
        [sys.executable, str(EXAMPLE), "--base-url", live_server, "--crew", str(crew_file), "--qc-results",
         str(qc_file), "--station", STATION, "--subject", "S-950", "--mrn", "MRN-950"],
        capture_output=True, text=True, timeout=RUN_S, check=False)

    assert finished.returncode == 0, finished.stderr
    outcome = json.loads(finished.stdout)
    assert outcome["subject"] == "S-950" and len(outcome["bags"]) == 2
    with database.transaction(write=False) as session:
        lot = session.execute(select(Lot).where(Lot.din == outcome["din"])).scalar_one()
        infusions = session.execute(select(Infusion)).scalars().all()
    assert lot.state == "infused"
    assert sorted(i.id for i in infusions) == sorted(outcome["infusions"])
    assert printer.jobs  # the vessels' and bags' labels went to the workstation's printer


def test_the_example_stops_at_a_refusal_and_says_why(live_server: str, database: Database, tmp_path: Path) -> None:
    crew = {part: _person(make_user(database, Role.NURSE)) for part in (
        "investigator", "courier", "operator", "verifier", "analyst", "qa", "nurse", "second_clinician")}
    crew_file, qc_file = tmp_path / "crew.json", tmp_path / "qc.json"
    crew_file.write_text(json.dumps(crew))
    qc_file.write_text("[]")
    finished = subprocess.run(
        [sys.executable, str(EXAMPLE), "--base-url", live_server, "--crew", str(crew_file), "--qc-results",
         str(qc_file), "--station", STATION, "--subject", "S-951", "--mrn", "MRN-951"],
        capture_output=True, text=True, timeout=RUN_S, check=False)
    assert finished.returncode == 1
    assert "POST /recipients answered 403: role:" in finished.stderr
