"""A worker process of audit verification: scans the seq ranges it is given, in one shared snapshot.

Reads one JSON object on stdin ({"target", "snapshot", "ranges"}) and writes one JSON line per range, in order:
the range's `segments.Segment` as a list. It imports only the driver-level reader, so it starts in a moment.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from batchtrack.audit import reading


def main() -> None:
    """Scan every range given on stdin and answer on stdout."""
    job = json.load(sys.stdin)
    connection, dialect = reading.connect(job["target"])
    try:
        for low, high in job["ranges"]:
            # On PostgreSQL every range is read in the snapshot the parent exported, so all see the same chain;
            # on SQLite the entries up to the parent's upper bound never change (the table is append-only).
            reading.begin_read(connection, dialect, job["snapshot"])
            try:
                segment = reading.scan_range(connection, dialect, low, high)
            finally:
                reading.end_read(connection, dialect)
            sys.stdout.write(json.dumps(dataclasses.astuple(segment)) + "\n")
            sys.stdout.flush()
    finally:
        connection.close()


if __name__ == "__main__":
    main()
