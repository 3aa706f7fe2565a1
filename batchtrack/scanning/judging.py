"""How scans are judged under load: a batch per read transaction, refusals recorded before the answer.

The scan route hands every scan here. Its caller's credentials, its body and its verdict are judged in the read
transaction of a batch (see read_batches), by a few threads of their own; a refusal is then recorded by threads of
its own, and the scan is answered only once its refusal is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import Connection

from batchtrack.auth import tokens as auth_tokens
from batchtrack.auth.principal import Principal
from batchtrack.db import SCAN_THREADS, Database
from batchtrack.scanning import parser, schemas, verdict
from batchtrack.scanning import service as scan_service
from batchtrack.scanning.read_batches import ReadBatches
from batchtrack.web.deps import Credentials

# Scans judged at once by one process; the others wait their turn in a queue, holding neither a thread nor a
# connection (so the pool's sizing in db.py still holds). The work keeps the interpreter lock except during its
# database calls: more threads at it only hand that lock back and forth, each hand-over a thread switch, and under
# load those switches lengthened the slowest scans most. Under load the scans waiting are judged a batch per read
# transaction (see read_batches): the transaction, its connection and the thread hand-over cost more than a scan's
# own queries.
SCANS_AT_ONCE = 2
SCANS_IN_ONE_TRANSACTION = 32


def _look_up_together(connection: Connection, works: Sequence[object]) -> None:
    # What every scan of a batch would look up alone, in one query each: their callers, then the containers their
    # callers' scans name. A scan whose caller is unknown is not read: it is refused with a 401 whatever it holds.
    # A batch run again after the database failed is looked up afresh, in its own transaction.
    scans = [work for work in works if isinstance(work, _ScanJudging)]
    for scan in scans:
        scan.callers, scan.known = None, scan_service.NO_CONTAINERS_KNOWN
    tokens = {scan.credentials.token for scan in scans if scan.credentials.token is not None}
    if len(scans) < 2 or not tokens:
        return
    callers = auth_tokens.uses(session=connection, tokens=tokens)
    identities = []
    for scan in scans:
        scan.callers = callers
        if scan.credentials.token is not None and callers.get(scan.credentials.token) is not None:
            identity = scan.read()
            if identity is not None:
                identities.append(identity)
    known = scan_service.containers_in_slots(session=connection, identities=identities)
    for scan in scans:
        scan.known = known


_judges = ReadBatches(threads=SCANS_AT_ONCE, most=SCANS_IN_ONE_TRANSACTION, name="scan-judge",
                      prepare=_look_up_together)
# Refusals are recorded by threads of their own: one waiting for the write lock holds up no scan being judged. Two
# are enough, since audit entries are appended one at a time anyway. The judging thread hands a refusal straight
# to them: through the event loop (as the shared request pool would have it) each hand-over waited its turn behind
# every other request's, and under load made a refused scan's answer several times slower than its writing.
REFUSALS_AT_ONCE = 2
_recorders = ThreadPoolExecutor(max_workers=REFUSALS_AT_ONCE, thread_name_prefix="scan-refusal")
assert SCANS_AT_ONCE + REFUSALS_AT_ONCE <= SCAN_THREADS, "the connection pool is sized for the scan route's threads"


def judged_and_recorded(
    database: Database, credentials: Credentials, body: bytes, content_type: str | None, zone: tzinfo
) -> Future[verdict.Verdict]:
    """The verdict on a scan, once judged and, if it is a refusal, recorded; or the request's error (401, 403,
    422) or the database's. Reasons name times in `zone`, the site's."""
    # The recording begins in the thread that judged, as soon as the verdict is in, on a connection of the
    # recorder's own (the pool has one for each of its threads, see db.py).
    answered: Future[verdict.Verdict] = Future()

    def record(judged: Future[Judged]) -> None:
        try:
            actor, data, result = judged.result()
        except BaseException as exc:  # the request's own error (401, 403, 422), or the database's
            answered.set_exception(exc)
            return
        if result.ok:
            answered.set_result(result)
            return
        try:
            recorded = _recorders.submit(partial(scan_service.record_refusal_alone, database=database, actor=actor,
                                                 request=data, result=result))
        except RuntimeError as exc:  # the recorders are shut down (the process is ending): no answer without them
            answered.set_exception(exc)
            return
        recorded.add_done_callback(lambda done: _answer(answered, done, result))

    _judges.submit(database, _ScanJudging(credentials, body, content_type, zone)).add_done_callback(record)
    return answered


def _answer(answered: Future[verdict.Verdict], recorded: Future[None], result: verdict.Verdict) -> None:
    failure = recorded.exception()
    if failure is not None:
        answered.set_exception(failure)
    else:
        answered.set_result(result)


Judged = tuple[Principal, schemas.ScanRequest, verdict.Verdict]


@dataclass(slots=True)
class _ScanJudging:
    """One scan to judge, in the read transaction of its batch."""

    credentials: Credentials
    body: bytes
    content_type: str | None
    zone: tzinfo  # the site's time zone, in which reasons name times
    callers: Mapping[str, auth_tokens.TokenUse | None] | None = None  # bearer tokens' uses, looked up for the batch
    known: scan_service.KnownContainers = scan_service.NO_CONTAINERS_KNOWN  # containers looked up for the batch
    # The body read and its scan parsed, once: the request, or why it is malformed; and the parsed scan.
    _request: schemas.ScanRequest | RequestValidationError | None = None
    _parsed: parser.ParsedScan | parser.ScanRefusal | None = None

    def read(self) -> parser.ScanIdentity | None:
        """Read the body and parse its scan: what the scan names, None when the body or the scan is malformed."""
        if self._request is None:
            try:
                self._request = _scan_request(self.body, self.content_type)
            except RequestValidationError as exc:
                self._request = exc
            else:
                self._parsed = parser.parse_scan(self._request.raw)
        if isinstance(self._parsed, parser.ScanRefusal) or self._parsed is None:
            return None
        return parser.identity_of(self._parsed)

    def __call__(self, connection: Connection) -> Judged:
        # Who is asking first (401/403), then what they sent (422), then the verdict; as for every other route. On
        # a plain connection: every statement here is a Core one, so no ORM session need be set up and torn down
        # (that cost more than the queries).
        actor = self.credentials.check(connection, self.callers)
        self.read()
        if isinstance(self._request, RequestValidationError):
            raise self._request
        assert self._request is not None
        return actor, self._request, scan_service.judge(session=connection, request=self._request,
                                                        parsed=self._parsed, known=self.known, zone=self.zone)


def _scan_request(body: bytes, content_type: str | None) -> schemas.ScanRequest:
    # The JSON body, validated as one step (pydantic reads the JSON into the model itself); every problem is located
    # under "body", as FastAPI locates those of the bodies it validates.
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    if not _is_json(content_type):
        raise RequestValidationError([{"type": "content_type", "loc": ("body",), "input": None,
                                       "msg": "send the scan as JSON (Content-Type: application/json)"}])
    try:
        return schemas.ScanRequest.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


def _is_json(content_type: str | None) -> bool:
    # application/json, or any application/...+json, with or without parameters (charset).
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))
