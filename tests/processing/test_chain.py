"""A lot carried through the whole expansion process, and what an out-of-limit value does."""

from __future__ import annotations

import math

from conftest import api_client
from fastapi import FastAPI

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.deviation import Deviation
from batchtrack.processing import service as step_service

from processing_builders import STATION, open_bench, run_isolation, run_to_formulation


def test_a_lot_goes_from_the_aspirate_to_formulated_final_containers(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    run_to_formulation(database, settings, bench)

    client = api_client(app, bench.operator)
    lot = client.get(f"/api/v1/lots/{bench.lot.din}").json()
    assert lot["state"] == "formulated"
    steps = {s["code"]: s["state"] for s in client.get(f"/api/v1/lots/{bench.lot.din}/steps").json()}
    assert steps == {"isolation": "verified", "passage_1": "completed", "passage_2": "completed",
                     "harvest": "verified", "formulation": "verified", "cryopreservation": None, "thaw": None}
    containers = client.get(f"/api/v1/lots/{bench.lot.din}/containers").json()
    finals = [c for c in containers if c["kind"] == "final_product"]
    assert [c["division"] for c in finals] == ["A0", "B0"]
    assert all(c["status"] == "consumed" for c in containers if c["kind"] in ("aspirate_bag", "culture_vessel")
               and c["status"] != "in_use") and all(c["status"] == "in_use" for c in finals)
    # The workstation can now be closed: no step is in progress.
    assert client.post(f"/api/v1/workstations/{STATION}/close").json()["lot_din"] is None


def test_an_out_of_limit_value_is_recorded_opens_a_deviation_and_holds_the_lot(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)
    client.post(f"/api/v1/workstations/{STATION}/steps/isolation/start")

    response = client.post(f"/api/v1/workstations/{STATION}/steps/isolation/values",
                           json={"name": "viability", "value": 55})

    assert response.status_code == 201
    viability = next(v for v in response.json()["steps"][0]["values"] if v["name"] == "viability")
    assert viability["value"] == 55 and "below the limit" in viability["out_of_limit"]
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=bench.lot.din)
        deviations = session.query(Deviation).filter(Deviation.lot_id == lot.id).all()
        assert lot.state == "on_hold" and lot.state_before_hold == "in_process"
    assert len(deviations) == 1 and deviations[0].origin == "out_of_limit" and deviations[0].state == "open"
    # While the lot is on hold nothing more is recorded at the step.
    held = client.post(f"/api/v1/workstations/{STATION}/steps/isolation/values",
                       json={"name": "cells_seeded", "value": 4e8})
    assert held.status_code == 409 and "lot.on_hold" in [r["code"] for r in held.json()["reasons"]]


def test_growth_values_of_the_record(database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    run_to_formulation(database, settings, bench)
    from batchtrack.processing import growth
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=bench.lot.din)
        rows = sorted(step_service.steps_of(session=session, lot=lot).values(), key=lambda r: r.ordinal)
        values = step_service.current_values(session=session, step_ids=[r.id or 0 for r in rows])
    counts = [growth.GrowthCounts(r.step_code, r.started_at, values.get((r.id or 0, "cells_harvested")).value
                                  if (r.id or 0, "cells_harvested") in values else None,
                                  values[(r.id or 0, "cells_seeded")].value
                                  if (r.id or 0, "cells_seeded") in values and r.step_code != "isolation" else None)
              for r in rows]
    points = growth.curve(counts, rows[0].started_at)
    # Passage 2 harvests 8x what passage 1 seeded (3 doublings); harvest 6x what passage 2 seeded.
    assert [round(p.population_doublings, 6) for p in points] == [3.0, round(math.log2(6), 6)]
    assert math.isclose(points[-1].cumulative_doublings, 3 + math.log2(6))


def test_isolation_can_be_run_twice_on_two_benches(database: Database, settings: Settings) -> None:
    first = open_bench(database, settings)
    run_isolation(database, settings, first)
    second = open_bench(database, settings, subject="S-002", station="BSC-2", with_stock=False)
    assert second.lot.din != first.lot.din
