"""Scans judged a batch at a time: each answered exactly as it would be alone, with what it names looked up at once."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import MultipleResultsFound

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.models.user import Role
from batchtrack.scanning import judging, parser, routes
from batchtrack.scanning import service as scan_service
from batchtrack.scanning.read_batches import ReadBatches

from builders import SeededLot, UserHandle, seed_lot
from own_loop import run_on_own_loop

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
NOWHERE = din_id.build(fin="W0000", year=2099, sequence=999_999)


def _bag_label(lot: SeededLot, bag: dict[str, Any], *, product: str | None = None) -> str:
    code = isbt.product_code(product or bag["product_code"][:5], bag["product_code"][5], bag["division"])
    return isbt.compound_message([isbt.din_structure(din_id.parse(lot.din)), isbt.product_structure(code),
                                  isbt.coi_structure(coi_id.parse(lot.coi))])


def _two_lots_with_bags(
    database: Database, settings: Settings, client: TestClient
) -> tuple[tuple[SeededLot, dict[str, Any]], tuple[SeededLot, dict[str, Any]]]:
    first = seed_lot(database, settings)
    second = seed_lot(database, settings, subject="S-002", mrn="MRN-000002")
    bags = [client.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "final_product"}).json()[0]
            for lot in (first, second)]
    return (first, bags[0]), (second, bags[1])


def _identity(raw: str) -> parser.ScanIdentity:
    parsed = parser.parse_scan(raw)
    assert not isinstance(parsed, parser.ScanRefusal), parsed
    return parser.identity_of(parsed)


def test_containers_looked_up_together_resolve_each_scan_as_its_own_lookup(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.OPERATOR)
    (lot, bag), (other, other_bag) = _two_lots_with_bags(database, settings, client)
    raws = [
        _bag_label(lot, bag), _bag_label(other, other_bag),  # product bags, by DIN, product code and division
        _bag_label(lot, bag, product="S9999"),  # a product code no container of the DIN has
        isbt.din_structure(din_id.parse(lot.din), flags="00"),  # the aspirate bag: neither division nor flag
        isbt.din_structure(din_id.parse(other.din), flags="07"),  # no sample 07: the DIN names the collection
        isbt.din_structure(NOWHERE, flags="00"),  # a DIN recorded nowhere
        isbt.coi_structure(coi_id.parse(lot.coi)),  # a COI alone: nothing for the containers' lookup
    ]
    identities = [_identity(raw) for raw in raws]
    with database.engine.begin() as connection:
        known = scan_service.containers_in_slots(session=connection, identities=identities)
        for identity in identities:
            together = scan_service.resolve(session=connection, identity=identity, known=known)
            alone = scan_service.resolve(session=connection, identity=identity)
            assert together == alone, identity
        found = [scan_service.resolve(session=connection, identity=i, known=known).resolved for i in identities]
    assert [type(f).__name__ for f in found] == [
        "ResolvedContainer", "ResolvedContainer", "NoneType", "ResolvedContainer", "ResolvedCollection", "NoneType",
        "ResolvedTherapy"]
    assert found[0].din == lot.din and found[1].din == other.din  # type: ignore[union-attr]
    assert {din for din, _, _ in known.slots} == {lot.din, other.din, NOWHERE.value}


def test_a_slot_holding_several_containers_is_refused_as_its_own_lookup_would_be() -> None:
    slot = ("W000026000001", "00", "00")
    row_a = (1, slot[0], "vessel", 1, "in_use", slot[0], None, "C")
    row_b = (2, *row_a[1:])
    known = scan_service.KnownContainers(frozenset({slot}), {slot: [("E0001V", row_a), ("E0002V", row_b)]})
    with pytest.raises(MultipleResultsFound):
        known.one_or_none(slot, None)
    assert known.one_or_none(slot, "E0002V") == row_b
    assert known.one_or_none(slot, "E0003V") is None
    assert known.one_or_none(("W000026000001", "A0", "00"), None) is None


class _HeldBatches(ReadBatches):
    """One judging thread, held busy until every scan expected has been handed over: then one batch takes them."""

    def __init__(self, expected: int) -> None:
        super().__init__(threads=1, most=judging.SCANS_IN_ONE_TRANSACTION, name="held-judge",
                         prepare=judging._look_up_together)
        self.expected, self.handed_over = expected, 0
        self.release = threading.Event()
        self.all_handed_over = threading.Event()

    def submit(self, database: Database, work: Callable[..., Any]) -> Future[Any]:
        done = super().submit(database, work)
        if isinstance(work, judging._ScanJudging):
            self.handed_over += 1
            if self.handed_over == self.expected:
                self.all_handed_over.set()
        return done

    def hold(self, database: Database) -> None:
        super().submit(database, lambda _connection: self.release.wait(30))


def test_scans_judged_in_one_batch_get_the_answers_they_would_get_alone(
    app: FastAPI, database: Database, settings: Settings, as_role: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, user = as_role(Role.OPERATOR)
    (lot, bag), (other, other_bag) = _two_lots_with_bags(database, settings, client)
    known, unknown = {"Authorization": f"Bearer {user.token}"}, {"Authorization": "Bearer bt_not-a-token-of-ours"}
    json_body = {"Content-Type": "application/json"}
    scans: list[tuple[dict[str, str], bytes]] = [
        (known, _json(_bag_label(lot, bag), lot.din)),  # accepted
        (known, _json(_bag_label(other, other_bag), lot.din)),  # the other patient's bag: refused
        (known, _json(_bag_label(other, other_bag), other.din)),  # accepted
        (known, _json(_bag_label(lot, bag, product="S9999"), lot.din)),  # no such container: refused
        (known, _json(isbt.din_structure(din_id.parse(other.din), flags="07"), other.din)),  # the collection: accepted
        (known, b'{"raw": "=W0000"'),  # malformed JSON: 422
        (unknown, _json(_bag_label(lot, bag), lot.din)),  # 401
        (unknown, b"not json at all"),  # 401 too: an unknown caller's body is not read
    ]
    looked_up: list[int] = []
    real_lookup = scan_service.containers_in_slots

    def counted(*, session: Any, identities: Any) -> scan_service.KnownContainers:
        identities = list(identities)
        looked_up.append(len(identities))
        return real_lookup(session=session, identities=identities)

    monkeypatch.setattr(scan_service, "containers_in_slots", counted)

    def post_all(headers_and_bodies: list[tuple[dict[str, str], bytes]]) -> list[tuple[int, Any]]:
        async def post() -> list[httpx2.Response]:
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http:
                return await asyncio.gather(*(http.post("/api/v1/scans", content=body, headers={**json_body, **h})
                                              for h, body in headers_and_bodies))
        return [(r.status_code, _answer(r)) for r in run_on_own_loop(post)]

    held = _HeldBatches(expected=len(scans))
    monkeypatch.setattr(judging, "_judges", held)
    held.hold(database)
    threading.Thread(target=lambda: held.all_handed_over.wait(30) and held.release.set(), daemon=True).start()
    together = post_all(scans)
    assert held.all_handed_over.is_set() and looked_up == [5], "the scans were not judged as one batch"

    looked_up.clear()
    alone = [post_all([scan])[0] for scan in scans]
    assert looked_up == []  # one scan at a time: its own lookups
    assert together == alone
    assert [status for status, _ in together] == [200, 200, 200, 200, 200, 422, 401, 401]
    assert [answer["ok"] for _, answer in together[:5]] == [True, False, True, False, True]


def _json(raw: str, lot_din: str) -> bytes:
    return json.dumps({"raw": raw, "station": "BATCH", "expect": {"lot_din": lot_din}}).encode()


def _answer(response: httpx2.Response) -> Any:
    answer = response.json()
    if isinstance(answer, dict):
        answer.pop("request_id", None)  # differs from one request to the next by design
    return answer


def test_a_scan_whose_request_is_abandoned_still_runs_to_its_end() -> None:
    work: Future[str] = Future()

    async def abandon() -> None:
        waiting = asyncio.ensure_future(routes._outcome(work))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        work.set_result("recorded")  # the work finishes after its request is gone, and is not cancelled
        await asyncio.sleep(0.01)

    run_on_own_loop(abandon)
    assert work.result() == "recorded" and not work.cancelled()


def test_the_outcome_of_work_is_its_result_or_its_error() -> None:
    async def outcomes() -> tuple[str, BaseException | None]:
        done: Future[str] = Future()
        failed: Future[str] = Future()
        threading.Timer(0.01, done.set_result, ["judged"]).start()
        threading.Timer(0.01, failed.set_exception, [LookupError("no such lot")]).start()
        result = await routes._outcome(done)
        try:
            await routes._outcome(failed)
        except LookupError as exc:
            return result, exc
        return result, None

    result, error = run_on_own_loop(outcomes)
    assert result == "judged" and isinstance(error, LookupError) and str(error) == "no such lot"
