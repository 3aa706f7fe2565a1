"""Fixtures for the resilience tests: real server processes, a client that carries a therapy through the whole
chain over HTTP, and the invariants the whole database must keep after concurrent or interrupted work.

The chain client speaks only HTTP, so the same code drives the application in-process (a TestClient per user)
or one or more `batchtrack serve` processes (an httpx client per user, spread over the servers).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from conftest import api_client
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.bedside import Infusion
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.deviation import Deviation
from batchtrack.models.label import Label, LabelStatus
from batchtrack.models.lot import Lot
from batchtrack.models.material import MaterialLot
from batchtrack.models.quality import ReleaseDecision, Specification
from batchtrack.models.sequence import IdentifierSequence
from batchtrack.models.signature import Signature
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role
from batchtrack.quality import specification

from bedside_builders import check_body, hand_over, infusion_body, wristband
from builders import UserHandle, eligible_answers, enrolment, make_user, receipt
from capture_printer import CapturingPrinter
from processing_builders import (
    INSTRUMENTS,
    MATERIAL_KINDS,
    add_instrument,
    add_material,
    bag_scan,
    register_cabinet,
    vessel_scan,
)
from release_builders import approve_specification, conforming

API = "/api/v1"
SERVER_START_S = 30.0

Connect = Callable[[UserHandle], httpx.Client]


# --- server processes -------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on the loopback that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """One `batchtrack` uvicorn process on 127.0.0.1, as `batchtrack serve` runs it, on a given database."""

    def __init__(self, name: str, db_url: str, folder: Path, extra_env: dict[str, str]) -> None:
        self.name, self.folder = name, folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "BATCHTRACK_DATABASE_URL": db_url, "BATCHTRACK_ENVIRONMENT": "test",
                    "BATCHTRACK_SECRET_KEY": "resilience-secret-" + "x" * 32, "BATCHTRACK_DATA_DIR": str(folder),
                    "BATCHTRACK_FACILITY_FIN": "W0000", "BATCHTRACK_LOG_LEVEL": "WARNING",
                    # Left to the kernel: these servers share the machine with the test's clients and, in CI, with
                    # the other engine's run; a processor of their own (see tests/server_process/test_cpu.py)
                    # slowed them.
                    "BATCHTRACK_ONE_CPU_PER_PROCESS": "false", **extra_env}
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process and wait (bounded) until /health answers 200."""
        command = [sys.executable, "-m", "uvicorn", "batchtrack.cli:serving_app", "--factory", "--host",
                   "127.0.0.1", "--port", str(self.port), "--workers", "1", "--log-level", "warning"]
        with self.log_path.open("a") as log:
            # cwd is the test's folder: no .env of a checkout is read.
            self.process = subprocess.Popen(command, cwd=self.folder, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {SERVER_START_S:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish what it is doing."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the process if it still runs (SIGTERM, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        """The end of the process's output."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def errors_logged(self) -> list[str]:
        """Lines of the process's output that tell of a server error (a traceback or a 500)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or " 500 " in line]

    def client(self, user: UserHandle) -> httpx.Client:
        """An API client of this server that sends the user's bearer token."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {user.token}"}, timeout=60.0)


@pytest.fixture
def printer() -> Iterator[CapturingPrinter]:
    """A stand-in for the stations' Zebra printer."""
    capture = CapturingPrinter()
    yield capture
    capture.close()


@pytest.fixture
def server_factory(db_url: str, tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start server processes on the test's database: server_factory(name, env={...}); all stopped at the end."""
    started: list[ServerProcess] = []

    def start(name: str = "server", env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(name, db_url, tmp_path, env or {})
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


def spread(servers: list[ServerProcess]) -> Connect:
    """A client per user, each on the next server in turn: one therapy's people end up on different servers."""
    turn = itertools.count()
    lock = threading.Lock()

    def connect(user: UserHandle) -> httpx.Client:
        with lock:
            server = servers[next(turn) % len(servers)]
        return server.client(user)

    return connect


@pytest.fixture
def in_process(app: FastAPI) -> Connect:
    """Clients of the in-process application (a TestClient per user)."""
    return lambda user: api_client(app, user)


# --- the whole chain over HTTP ----------------------------------------------------------------------------------


def expect(response: httpx.Response, status: int) -> Any:
    """The JSON body of a response that must have `status`; the body is shown when it has not."""
    assert response.status_code == status, f"{response.request.method} {response.request.url.path}: " \
                                           f"{response.status_code} {response.text[:2000]}"
    return response.json()


@dataclass
class Crew:
    """The people who carry one therapy through the chain, each with a client of their own."""

    clinician: UserHandle  # investigator and collector
    courier: UserHandle
    operator: UserHandle
    verifier: UserHandle
    analyst: UserHandle
    qa: UserHandle
    nurse: UserHandle
    doctor: UserHandle
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def http(self, user: UserHandle, connect: Connect) -> httpx.Client:
        """The user's client (made on first use)."""
        if user.username not in self.clients:
            self.clients[user.username] = connect(user)
        return self.clients[user.username]

    def close(self) -> None:
        """Close every client."""
        for client in self.clients.values():
            client.close()


@dataclass(frozen=True)
class ChainOutcome:
    """What one therapy's trip through the chain left: its identifiers and the bags infused."""

    subject: str
    coi: str
    din: str
    bags: list[int]
    infusions: list[int]


def make_crew(database: Database) -> Crew:
    """The people of one therapy."""
    return Crew(make_user(database, Role.INVESTIGATOR, Role.COLLECTOR), make_user(database, Role.COURIER),
                make_user(database, Role.OPERATOR), make_user(database, Role.OPERATOR),
                make_user(database, Role.QC_ANALYST), make_user(database, Role.QA), make_user(database, Role.NURSE),
                make_user(database, Role.INVESTIGATOR))


class ChainRunner:
    """Carries therapies from enrolment to infusion through the API, each at a workstation of its own."""

    def __init__(self, database: Database, stations: list[str]) -> None:
        self.database = database
        self.stations = stations
        self._specified = threading.Lock()
        # Codes of their own: the processing builders stock the same database with theirs.
        self.stock = {kind: add_material(database, kind, f"MT269{n:04d}")
                      for n, kind in enumerate(MATERIAL_KINDS, start=1)}
        self.tools = [add_instrument(database, kind, code.replace("0001", "9001"))
                      for kind, code in INSTRUMENTS.items()]

    def _ensure_specification(self) -> None:
        """QA approves the shipped specification, unless a builder of the same test already did."""
        with self._specified:
            with self.database.transaction(write=False) as session:
                effective = session.execute(select(func.count()).select_from(Specification)
                                            .where(col(Specification.status) == "effective")).scalar_one()
            if not effective:
                approve_specification(self.database, make_user(self.database, Role.QA))

    def run(self, connect: Connect, *, subject: str, station: str, crew: Crew | None = None) -> ChainOutcome:
        """Enrol, collect, hand over, receive, expand, test, release, ship, check at the bedside and infuse."""
        crew = crew or make_crew(self.database)
        try:
            coi, din, bag_labels = self.to_clinic(connect, crew, subject=subject, station=station)
            bags, infusions = self._bedside(connect, crew, coi, bag_labels)
        finally:
            crew.close()
        return ChainOutcome(subject, coi, din, bags, infusions)

    def to_qc(self, connect: Connect, crew: Crew, *, subject: str, station: str) -> tuple[str, str, list[str]]:
        """A lot collected, expanded and tested, waiting for QA: (COI, DIN, the product bags' 2-D codes)."""
        self._ensure_specification()
        coi, din = self.to_lab(connect, crew, subject=subject)
        bag_labels = self._expand(connect, crew, din, station)
        self._test(connect, crew, din)
        # QA reviews the lot's record by exception: the release requires it.
        expect(crew.http(crew.qa, connect).post(f"{API}/lots/{din}/record-review", json={
            **crew.qa.credentials}), 201)
        return coi, din, bag_labels

    def to_clinic(self, connect: Connect, crew: Crew, *, subject: str, station: str) -> tuple[str, str, list[str]]:
        """A lot released by QA, shipped and received at the clinic: (COI, DIN, the product bags' 2-D codes)."""
        coi, din, bag_labels = self.to_qc(connect, crew, subject=subject, station=station)
        released = expect(crew.http(crew.qa, connect).post(f"{API}/lots/{din}/release",
                                                            json=crew.qa.credentials), 200)
        assert released["decision"] == "released", released
        expect(crew.http(crew.operator, connect).post(
            f"{API}/lots/{din}/shipments",
            json=hand_over(bag_labels, receiver=crew.courier.username).model_dump(mode="json")), 201)
        expect(crew.http(crew.nurse, connect).post(f"{API}/lots/{din}/clinic-receipts", json=hand_over(
            bag_labels, giver=crew.courier.username, location="ward 5").model_dump(mode="json")), 201)
        return coi, din, bag_labels

    def to_lab(self, connect: Connect, crew: Crew, *, subject: str) -> tuple[str, str]:
        """Enrol, collect, label, hand over and receive at the lab: the lot is in process. (COI, DIN)."""
        clinician = crew.http(crew.clinician, connect)
        expect(clinician.post(f"{API}/recipients", json=enrolment(subject, f"MRN-{subject}").model_dump(mode="json")),
               201)
        assessed = expect(clinician.post(f"{API}/recipients/{subject}/eligibility", json={
            "answers": eligible_answers(), "prescribed_cells_per_kg": 1e6, **crew.clinician.credentials}), 201)
        coi = assessed["therapy_coi"]
        din = expect(clinician.post(f"{API}/collections", json={"therapy_coi": coi}), 201)["din"]
        now = utcnow()
        expect(clinician.post(f"{API}/collections/{din}/transitions/collect", json={
            "started_at": (now - timedelta(hours=2.5)).isoformat(),
            "occurred_at": (now - timedelta(hours=2)).isoformat(),
            "volume_ml": 55.0, "anticoagulant": "heparin", "site": "posterior iliac crest"}), 200)
        printed = expect(clinician.post(f"{API}/lots/{din}/labels", json={"kind": "aspirate_bag", "format": "png"}),
                         201)
        for label in printed["job"]["labels"]:
            expect(clinician.post(f"{API}/labels/{label['id']}/apply", json={"scan": bag_scan(din)}), 200)
        expect(clinician.post(f"{API}/collections/{din}/transitions/dispatch", json={}), 200)
        for giver, taker, hours in ((crew.clinician, crew.courier, 1.8), (crew.courier, crew.operator, 1.2)):
            expect(crew.http(giver, connect).post(f"{API}/custody-events", json={
                "scan": bag_scan(din), "handed_over_by": giver.username, "received_by": taker.username,
                "location": "corridor", "temperature_c": 21.0,
                "occurred_at": (now - timedelta(hours=hours)).isoformat()}), 201)
        expect(crew.http(crew.operator, connect).post(f"{API}/receipts", json=receipt(din).model_dump(mode="json")),
               201)
        return coi, din

    def _step(self, connect: Connect, crew: Crew, din: str, station: str, code: str, *, scans: list[str],
              values: dict[str, float], new_vessels: int = 0) -> list[str]:
        """One processing step; returns the 2-D codes of the labels printed for its new vessels."""
        operator = crew.http(crew.operator, connect)
        at = f"{API}/workstations/{station}/steps/{code}"
        expect(operator.post(f"{at}/start"), 200)
        for raw in scans:
            expect(operator.post(f"{at}/scans", json={"scan": raw}), 200)
        for name, value in values.items():
            expect(operator.post(f"{at}/values", json={"name": name, "value": value}), 201)
        codes: list[str] = []
        if new_vessels:
            added = expect(operator.post(f"{at}/vessels", json={"count": new_vessels}), 201)
            printed = expect(operator.post(f"{API}/lots/{din}/labels", json={
                "container_ids": [c["id"] for c in added], "format": "zpl", "station": station}), 201)
            codes = [label["barcodes"]["compound_datamatrix"]["data"] for label in printed["job"]["labels"]]
            for raw in codes:
                expect(operator.post(f"{at}/scans", json={"scan": raw}), 200)
        done = expect(operator.post(f"{at}/complete", json=crew.operator.credentials), 200)
        if next(s for s in done["steps"] if s["code"] == code)["second_person"]:
            expect(crew.http(crew.verifier, connect).post(f"{API}/lots/{din}/steps/{code}/verify",
                                                          json=crew.verifier.credentials), 200)
        return codes

    def _vessels(self, connect: Connect, crew: Crew, din: str) -> list[str]:
        containers = expect(crew.http(crew.operator, connect).get(f"{API}/lots/{din}/containers"), 200)
        return [vessel_scan(din, c["sample_flag"]) for c in containers
                if c["kind"] == "culture_vessel" and c["status"] == "in_use"]

    def _expand(self, connect: Connect, crew: Crew, din: str, station: str) -> list[str]:
        """Isolation, two passages, harvest and formulation at `station`; returns the product bags' 2-D codes."""
        s, tools = self.stock, self.tools
        operator = crew.http(crew.operator, connect)
        register_cabinet(self.database, station)  # lots are opened only at a cabinet of the equipment register
        expect(operator.post(f"{API}/workstations/{station}/lot", json={"scan": bag_scan(din)}), 200)
        self._step(connect, crew, din, station, "isolation",
                   scans=[bag_scan(din), s["medium"], s["platelet_lysate"], s["pen_strep"], *tools],
                   values={"nucleated_cells": 4e8, "viability": 96, "cells_seeded": 4e8, "seeding_density": 1.6e5},
                   new_vessels=2)
        seeded = 4e6
        for number in (1, 2):
            harvested = seeded * 8
            self._step(connect, crew, din, station, f"passage_{number}",
                       scans=[*self._vessels(connect, crew, din), s["medium"], s["platelet_lysate"], s["pen_strep"],
                              s["trypsin"], *tools],
                       values={"confluence": 85, "cells_harvested": harvested, "viability": 95,
                               "cells_seeded": harvested / 2, "seeding_density": 4000}, new_vessels=2)
            seeded = harvested / 2
        self._step(connect, crew, din, station, "harvest",
                   scans=[*self._vessels(connect, crew, din), s["trypsin"], s["saline"], tools[0], tools[1]],
                   values={"confluence": 88, "cells_harvested": seeded * 6, "viability": 94})
        bags = self._step(connect, crew, din, station, "formulation",
                          scans=[s["saline"], s["albumin"], tools[0], tools[1]],
                          values={"viable_cells": 6.2e7, "viability": 93, "volume": 50}, new_vessels=2)
        expect(operator.post(f"{API}/workstations/{station}/close"), 200)
        return bags

    def _test(self, connect: Connect, crew: Crew, din: str) -> None:
        """QC samples, and a conforming final result for every test of the specification."""
        operator = crew.http(crew.operator, connect)
        samples = expect(operator.post(f"{API}/lots/{din}/containers", json={"kind": "qc_sample", "count": 2}), 201)
        expect(operator.post(f"{API}/lots/{din}/transitions/submit_to_qc", json={"reason": ""}), 200)
        analyst = crew.http(crew.analyst, connect)
        sample = vessel_scan(din, samples[0]["sample_flag"])
        for test in specification.shipped_default().tests:
            value, text = conforming(test)
            body: dict[str, Any] = {"scan": sample, "test_code": test.code, "result_text": text}
            if value is not None:
                body["value"] = value
            expect(analyst.post(f"{API}/lots/{din}/qc/results", json=body), 201)

    def _bedside(self, connect: Connect, crew: Crew, coi: str, bag_labels: list[str]) -> tuple[list[int], list[int]]:
        """Check and infuse every bag with two clinicians."""
        nurse = crew.http(crew.nurse, connect)
        bags, infusions = [], []
        for scan in bag_labels:
            checked = expect(nurse.post(f"{API}/bedside/checks", json=check_body(wristband(coi), scan, crew.doctor)),
                             200)
            assert checked["ok"] is True, checked
            infused = expect(nurse.post(f"{API}/bedside/infusions",
                                        json=infusion_body(checked["id"], crew.nurse, crew.doctor)), 201)
            bags.append(infused["container_id"])
            infusions.append(infused["id"])
        return bags, infusions


@pytest.fixture
def station_printers(settings: Settings, printer: CapturingPrinter) -> dict[str, str]:
    """The workstations of the chains and of the races, the capturing printer as the Zebra of each (in the
    in-process settings too)."""
    printers = {station: printer.address for station in [*(f"BSC-{n}" for n in range(1, 7)), "BSC-R1", "BSC-R2"]}
    settings.station_printers = printers
    return printers


@pytest.fixture
def chain(database: Database, station_printers: dict[str, str]) -> ChainRunner:
    """A chain runner on the test's database: the specification approved, materials and instruments in stock."""
    return ChainRunner(database, [s for s in station_printers if not s.startswith("BSC-R")])


# --- races on one lot -------------------------------------------------------------------------------------------


def outcome(response: httpx.Response) -> tuple[int, str]:
    """(status, what the answer says: the error code, or the reason codes of a refusal, or 'ok')."""
    body = response.json()
    if response.status_code < 400:
        return response.status_code, "ok"
    codes = sorted({r["code"] for r in body.get("reasons", [])})
    return response.status_code, ",".join(codes) or body.get("error", "")


def together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads that all start at the same moment; the results in order."""
    barrier = threading.Barrier(count)

    def run(index: int) -> Any:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


class Races:
    """Many clients doing the one thing at once to the same lot; each returns what every client was answered.

    The lots are made through the API by the chain runner, at workstations of their own, so the races can run
    beside each other and beside whole chains on one database.
    """

    def __init__(self, runner: ChainRunner) -> None:
        self.runner, self.database = runner, runner.database

    def release(self, connect: Connect, *, attempts: int = 10,
                station: str = "BSC-R1") -> tuple[str, Counter[tuple[int, str]]]:
        """`attempts` QA people release one lot that is ready for release, at once."""
        crew = make_crew(self.database)
        try:
            _coi, din, _bags = self.runner.to_qc(connect, crew, subject="S-R01", station=station)
        finally:
            crew.close()
        releasers = [make_user(self.database, Role.QA) for _ in range(attempts)]
        clients = [connect(user) for user in releasers]
        try:
            answers = together(attempts, lambda i: clients[i].post(
                f"{API}/lots/{din}/release", json=releasers[i].credentials))
        finally:
            for client in clients:
                client.close()
        return din, Counter(outcome(a) for a in answers)

    def bedside(self, connect: Connect, *, pairs: int = 4,
                station: str = "BSC-R2") -> tuple[str, Counter[tuple[int, str]]]:
        """`pairs` clinician pairs check the same bag at once, then all record its infusion at once."""
        crew = make_crew(self.database)
        try:
            coi, _din, bag_labels = self.runner.to_clinic(connect, crew, subject="S-R02", station=station)
        finally:
            crew.close()
        people = [(make_user(self.database, Role.NURSE), make_user(self.database, Role.INVESTIGATOR))
                  for _ in range(pairs)]
        clients = [connect(nurse) for nurse, _doctor in people]
        try:
            checks = together(pairs, lambda i: clients[i].post(
                f"{API}/bedside/checks", json=check_body(wristband(coi), bag_labels[0], people[i][1])))
            ids = [expect(c, 200)["id"] for c in checks]
            assert all(c.json()["ok"] for c in checks), [c.json() for c in checks]
            answers = together(pairs, lambda i: clients[i].post(
                f"{API}/bedside/infusions", json=infusion_body(ids[i], people[i][0], people[i][1])))
        finally:
            for client in clients:
                client.close()
        return bag_labels[0], Counter(outcome(a) for a in answers)

    def labels(self, connect: Connect, *, clients_count: int = 8) -> tuple[str, Counter[tuple[int, str]], list[int]]:
        """Operators register QC sample containers of one lot at once, then all print their labels at once."""
        crew = make_crew(self.database)
        try:
            _coi, din = self.runner.to_lab(connect, crew, subject="S-R03")
        finally:
            crew.close()
        operators = [make_user(self.database, Role.OPERATOR) for _ in range(clients_count)]
        clients = [connect(user) for user in operators]
        try:
            added = together(clients_count, lambda i: clients[i].post(
                f"{API}/lots/{din}/containers", json={"kind": "qc_sample", "count": 2}))
            ids = sorted(c["id"] for a in added for c in expect(a, 201))
            answers = together(clients_count, lambda i: clients[i].post(
                f"{API}/lots/{din}/labels", json={"container_ids": ids, "format": "svg"}))
        finally:
            for client in clients:
                client.close()
        return din, Counter(outcome(a) for a in answers), ids


@pytest.fixture
def races(chain: ChainRunner) -> Races:
    """The same-lot races, on the test's database."""
    return Races(chain)


# --- invariants over the whole database -------------------------------------------------------------------------


def duplicates(values: list[Any]) -> dict[Any, int]:
    """The values that occur more than once, with their counts."""
    return {value: n for value, n in Counter(values).items() if n > 1}


def assert_audit_chain(database: Database) -> int:
    """The audit chain verifies, its seq runs 1..N without a gap, and no two entries share a predecessor."""
    with database.transaction(write=False) as session:
        result = audit_service.verify(session=session)
        assert result.ok, result
        rows = session.execute(select(col(AuditEntry.seq), col(AuditEntry.prev_hash), col(AuditEntry.hash))
                               .order_by(col(AuditEntry.seq))).all()
    seqs = [row[0] for row in rows]
    assert seqs == list(range(1, len(rows) + 1)), "the audit chain's seq has a gap"
    assert not duplicates([row[1] for row in rows]), "two audit entries share a predecessor: the chain forked"
    for before, after in itertools.pairwise(rows):
        assert after[1] == before[2], f"entry {after[0]} does not follow entry {before[0]}"
    return len(rows)


def _sequence_number(identifier: str, start: int, length: int) -> int:
    return int(identifier[start:start + length])


def assert_whole_database(database: Database) -> dict[str, int]:
    """Every invariant the chain keeps across the whole database; returns how many of each thing there are."""
    with database.transaction(write=False) as session:
        collections = list(session.execute(select(col(Collection.din))).scalars())
        lots = list(session.execute(select(col(Lot.din))).scalars())
        cois = list(session.execute(select(col(Therapy.coi))).scalars())
        identities = session.execute(select(col(Container.din), col(Container.product_code),
                                            col(Container.division), col(Container.sample_flag))).all()
        live = session.execute(select(col(Label.container_id), col(Label.barcode_data))
                               .where(col(Label.status).in_([LabelStatus.PRINTED, LabelStatus.APPLIED]))).all()
        numbers = list(session.execute(select(col(Deviation.number))).scalars())
        materials = list(session.execute(select(col(MaterialLot.code))).scalars())
        decisions = list(session.execute(select(col(ReleaseDecision.lot_id))).scalars())
        release_signatures = list(session.execute(select(col(Signature.entity_id))
                                                  .where(col(Signature.meaning) == "released")).scalars())
        infused_bags = list(session.execute(select(col(Infusion.container_id))).scalars())
        infused_checks = list(session.execute(select(col(Infusion.check_id))).scalars())
        infused_status = session.execute(select(func.count()).select_from(Container)
                                         .where(col(Container.status) == "infused")).scalar_one()
        sequences = {(s.kind, s.fin, s.year): s.last_value
                     for s in session.execute(select(IdentifierSequence)).scalars()}
    assert not duplicates(collections), "a DIN was given to two collections"
    assert not duplicates(lots), "a DIN was given to two lots"
    assert not duplicates(cois), "a COI identifier was given to two therapies"
    assert not duplicates(list(identities)), "two containers share a scannable identity"
    assert not duplicates([row[0] for row in live]), "a container has two live labels"
    assert not duplicates([row[1] for row in live]), "two live labels encode the same barcodes"
    assert not duplicates(numbers), "a deviation number was given twice"
    assert not duplicates(materials), "a material code was given twice"
    assert not duplicates(decisions), "a lot has two release decisions"
    assert not duplicates(release_signatures), "a lot was signed as released twice"
    assert not duplicates(infused_bags), "a bag was infused twice"
    assert not duplicates(infused_checks), "one bedside check served two infusions"
    assert infused_status == len(infused_bags), "bags marked infused and infusions recorded disagree"
    # Numbers issued by a sequence are never beyond what the sequence has handed out.
    for din in collections:
        assert _sequence_number(din, 7, 6) <= sequences[("din", din[:5], 2000 + int(din[5:7]))], din
    return {"collections": len(collections), "lots": len(lots), "therapies": len(cois),
            "containers": len(identities), "deviations": len(numbers), "materials": len(materials),
            "releases": len(decisions), "infusions": len(infused_bags), "audit": assert_audit_chain(database)}


@pytest.fixture
def whole_database(database: Database) -> Callable[[], dict[str, int]]:
    """Check every invariant over the test's database; returns how many of each thing it holds."""
    return lambda: assert_whole_database(database)


@pytest.fixture
def spread_over() -> Callable[[list[ServerProcess]], Connect]:
    """Make a Connect that puts each new client on the next of the given servers."""
    return spread
