"""Worker process for concurrency tests: allocate identifiers or append audit entries, print JSON."""

from __future__ import annotations

import json
import sys

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.db import Database, make_engine
from batchtrack.identifiers import service as identifier_service


def main() -> None:
    """Usage: allocate.py URL din|coi|audit COUNT WORKER_NAME."""
    url, kind, count, worker = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    database = Database(make_engine(url))
    results: list[str] = []
    for i in range(count):
        # One transaction per allocation, as a request would do it.
        with database.transaction() as session:
            if kind == "din":
                results.append(identifier_service.allocate_din(session=session, fin="W0000", year=2026).value)
            elif kind == "coi":
                results.append(identifier_service.allocate_coi(session=session, fin="W0000", year=2026).value)
            else:
                entry = audit_service.record(session=session, actor=SYSTEM, action="test.concurrent",
                                             entity_type="test", entity_id=f"{worker}-{i}")
                results.append(str(entry.seq))
    database.dispose()
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
