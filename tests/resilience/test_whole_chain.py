"""Several clients carry different therapies through the whole chain at the same time, on one database."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

CLIENTS = 6


@pytest.mark.slow
def test_six_therapies_through_the_whole_chain_at_once_keep_every_invariant(
    chain: Any, in_process: Any, whole_database: Callable[[], dict[str, int]]
) -> None:
    def carry(index: int) -> Any:
        return chain.run(in_process, subject=f"S-{index:03d}", station=chain.stations[index])

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(carry, range(CLIENTS)))

    assert len({o.coi for o in outcomes}) == CLIENTS and len({o.din for o in outcomes}) == CLIENTS
    assert all(len(o.infusions) == 2 for o in outcomes)
    counts = whole_database()
    assert counts["therapies"] == counts["lots"] == counts["releases"] == CLIENTS, counts
    assert counts["infusions"] == 2 * CLIENTS, counts
