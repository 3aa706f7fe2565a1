"""The verdict of one station scan (proceed, stop and why, or what it is), and its JSON form."""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from batchtrack.errors import Reason
from batchtrack.i18n.text import ENGLISH, _
from batchtrack.scanning import expectations, identification, parser
from batchtrack.scanning.expectations import Resolved, StationExpectation
from batchtrack.scanning.parser import ParsedScan, ScanRefusal

# Enough of the raw input to see what the scanner sent, without echoing a pasted megabyte back.
RAW_ECHO_LIMIT = 200


# What a station says of a scan: the right one (proceed), not to be used (stop), or, where the station expects
# nothing it could be approved against, what it is (identified; `ok` is true, as nothing refuses it).
VerdictKind = Literal["proceed", "stop", "identified"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Proceed (`ok`) or stop with every reason; what was parsed and resolved, when it got that far. `identified`
    says what the scan is where the station expected nothing (then the verdict is not a proceed)."""

    ok: bool
    reasons: list[Reason]
    parsed: ParsedScan | None = None
    resolved: Resolved | None = None
    raw: str = field(default="", repr=False)
    identified: Reason | None = None

    @property
    def kind(self) -> VerdictKind:
        """Proceed, stop, or identified (a scan nothing refuses at a station that expected nothing)."""
        if not self.ok:
            return "stop"
        return "identified" if self.identified is not None else "proceed"

    def as_dict(self, translations: gettext.NullTranslations = ENGLISH) -> dict[str, Any]:
        """JSON-ready data, the reasons' messages in the language of `translations`; the raw input is escaped to
        ASCII and cut to a bounded length."""
        identified = self.identified
        return {
            "ok": self.ok,
            "verdict": self.kind,
            "identified": None if identified is None else _reasons_as_dicts([identified], translations)[0],
            "reasons": _reasons_as_dicts(self.reasons, translations),
            "parsed": None if self.parsed is None else parsed_as_dict(self.parsed),
            "resolved": None if self.resolved is None else resolved_as_dict(self.resolved),
            "raw_escaped": escape_raw(self.raw),
            "raw_length": len(self.raw),
        }


def _reasons_as_dicts(reasons: list[Reason], translations: gettext.NullTranslations) -> list[dict[str, str]]:
    # In English each reason's message is already made (it is what the audit trail records): no catalog lookup.
    if translations is ENGLISH:
        return [{"code": reason.code, "message": reason.message} for reason in reasons]
    return [reason.as_dict(translations) for reason in reasons]


def escape_raw(raw: str) -> str:
    """The raw scan as printable ASCII (control and non-ASCII characters as escapes), at most ~200 chars."""
    # unicode_escape also escapes backslashes and lone surrogates, so the echo cannot be mistaken for data.
    escaped = raw[:RAW_ECHO_LIMIT].encode("unicode_escape").decode("ascii")
    return escaped + ("..." if len(raw) > RAW_ECHO_LIMIT else "")


def _fields_of(flat: Any) -> dict[str, Any]:
    # A dataclass of plain values as a dict, in field order: what dataclasses.asdict gives, without its recursive
    # deep copy (this runs for every scan answered). A moment is written as ISO 8601.
    values = {f.name: getattr(flat, f.name) for f in fields(flat)}
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in values.items()}


def _part_as_dict(part: parser.SimpleScan) -> dict[str, Any]:
    if isinstance(part, parser.DinScan):
        return {
            "type": "din",
            "din": part.din.value,
            "check": part.din.check,
            "flags": part.flags,
            "sample_flag": part.sample_flag,
            "keyed": part.keyed,
        }
    if isinstance(part, parser.ProductScan):
        return {"type": "product", **_fields_of(part)}
    if isinstance(part, parser.ExpiryScan):
        return {"type": "expiry", "moment": part.moment.isoformat(), "has_time": part.has_time}
    return {
        "type": "coi",
        "coi": part.coi.value,
        "check": part.coi.check,
        "wristband": part.wristband,
        "keyed": part.keyed,
    }


def parsed_as_dict(parsed: ParsedScan) -> dict[str, Any]:
    """A parsed scan as JSON-ready data, tagged with its type."""
    if isinstance(parsed, parser.CompoundScan):
        return {"type": "compound", "order": parsed.order, "parts": [_part_as_dict(p) for p in parsed.parts]}
    return _part_as_dict(parsed)


def resolved_as_dict(resolved: Resolved) -> dict[str, Any]:
    """A resolved entity as JSON-ready data, tagged with its type."""
    kind = type(resolved).__name__.removeprefix("Resolved").lower()
    return {"type": kind, **_fields_of(resolved)}


def refused(raw: str, refusal: ScanRefusal) -> Verdict:
    """The verdict for a scan that could not be parsed."""
    return Verdict(ok=False, reasons=list(refusal.reasons), raw=raw)


def judge(
    *,
    raw: str,
    parsed: ParsedScan,
    resolved: Resolved | None,
    expectation: StationExpectation,
    zone: tzinfo = UTC,
) -> Verdict:
    """The verdict for a parsed scan: not found, or every mismatch with what the station expects; where it expects
    nothing, what the scan is (never a proceed). Times are named in `zone`, the site's."""
    if resolved is None:
        reason = Reason("scan.not_found", _("the scan is well formed but names nothing recorded here"))
        return Verdict(ok=False, reasons=[reason], parsed=parsed, raw=raw)
    reasons = expectations.compare(expectation, resolved)
    identified = (identification.identify(resolved, zone=zone)
                  if not reasons and identification.expects_nothing(expectation) else None)
    return Verdict(ok=not reasons, reasons=reasons, parsed=parsed, resolved=resolved, raw=raw, identified=identified)
