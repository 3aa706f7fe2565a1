"""Two server processes on one database, clients spread over both: the same-lot races and several therapies
through the whole chain keep every invariant, because uniqueness, ordering and single release are the database's.

PostgreSQL is the database app servers share in production; a shared SQLite file is exercised too, as two
processes of one small installation would share it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from batchtrack.db import Database

from release_builders import decisions, lot_state

THERAPIES = 2


@pytest.mark.slow
def test_two_servers_on_one_database_keep_races_single_and_every_invariant(
    database: Database, server_factory: Callable[..., Any], spread_over: Callable[..., Any], races: Any,
    chain: Any, station_printers: dict[str, str], whole_database: Callable[[], dict[str, int]],
) -> None:
    env = {"BATCHTRACK_STATION_PRINTERS": json.dumps(station_printers)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        servers = list(pool.map(lambda name: server_factory(name, env), ["server-a", "server-b"]))
    connect = spread_over(servers)

    # The three races and the therapies' chains all at once, every one's clients spread over both servers.
    stations = chain.stations[:THERAPIES]
    with ThreadPoolExecutor(max_workers=3 + THERAPIES) as pool:
        release = pool.submit(races.release, connect, attempts=10)
        bedside = pool.submit(races.bedside, connect, pairs=4)
        labels = pool.submit(races.labels, connect, clients_count=8)
        chains = [pool.submit(chain.run, connect, subject=f"S-{100 + i}", station=stations[i])
                  for i in range(THERAPIES)]
        din, released = release.result()
        _bag, infused = bedside.result()
        _din, printed, ids = labels.result()
        outcomes = [c.result() for c in chains]

    assert released == Counter({(200, "ok"): 1, (409, "lot.wrong_state"): 9}), released
    assert len(decisions(database, din)) == 1 and lot_state(database, din) == "released"
    assert infused == Counter({(201, "ok"): 1, (409, "infusion.bag_infused"): 3}), infused
    assert len(set(ids)) == 16
    assert printed == Counter({(201, "ok"): 1, (409, "label.reprint_reason_required"): 7}), printed
    assert len({o.din for o in outcomes}) == THERAPIES and all(len(o.infusions) == 2 for o in outcomes)

    counts = whole_database()
    assert counts["releases"] == 1 + 1 + THERAPIES, counts  # the race's lot, the bedside lot's, the chain's
    assert counts["infusions"] == 1 + 2 * THERAPIES, counts
    for server in servers:
        assert server.errors_logged() == [], server.log_tail()
