"""One therapy from enrolment to infusion through batchtrack's REST API alone.

An example for integrators: every step a person does at a station or a bedside, made with the API calls the pages
make, in order, each by the person whose role does it. Nothing here reads the database or imports batchtrack: only
HTTP, with `httpx`.

    python examples/therapy_through_the_api.py --base-url https://batchtrack.example.org \\
        --crew crew.json --qc-results qc.json --station BSC-1 --subject S-900 --mrn MRN-900

crew.json names, for each part of the chain, the person who does it: their user name, password (an electronic
signature asks for both) and API token (`batchtrack user token USERNAME --name NAME`):

    {"investigator": {"username": "...", "password": "...", "token": "..."},   # investigator and collector
     "courier": {...}, "operator": {...}, "verifier": {...},                   # verifier: a second operator
     "analyst": {...}, "qa": {...}, "nurse": {...}, "second_clinician": {...}}

qc.json holds the lot's QC results, as a laboratory system would send them: a list of
{"test_code": ..., "value": number or null, "result_text": ...}, one per test of the effective specification.

The workstation (`--station`) is a biosafety cabinet of the equipment register, by its asset tag, with a label
printer of its own (setting BATCHTRACK_STATION_PRINTERS); the material lots and instruments used are the first
released, in-date and calibrated ones the API lists (the workstation's own cabinet among them). Any refusal stops the
run with the refusal's code, message and reasons (the body every refusal of the API has).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
PROTOCOL = "KCT0004337"
INDICATION = "nephritis"
MATERIAL_KINDS = ("medium", "platelet_lysate", "pen_strep", "trypsin", "saline", "albumin")
INSTRUMENT_KINDS = ("biosafety_cabinet", "cell_counter", "incubator")
CREW = ("investigator", "courier", "operator", "verifier", "analyst", "qa", "nurse", "second_clinician")
TRANSPORT_C = 18.0
VITALS = {"temperature_c": 36.8, "heart_rate_bpm": 72, "systolic_mmhg": 118, "diastolic_mmhg": 76,
          "spo2_percent": 98}


class Refused(RuntimeError):
    """The API refused a step: the refusal's code, message and reasons."""


@dataclass(frozen=True)
class Person:
    """Someone of the crew: who they are to a signature, and their client (their token)."""

    username: str
    password: str
    http: httpx.Client

    @property
    def signature(self) -> dict[str, str]:
        """The fields an electronic signature asks for: the signer's user name and password."""
        return {"username": self.username, "password": self.password}


def call(person: Person, method: str, path: str, body: dict[str, Any] | None = None,
         params: dict[str, str] | None = None) -> Any:
    """One API call as `person`; its JSON answer, or Refused with what the refusal says."""
    response = person.http.request(method, API + path, json=body, params=params)
    if response.status_code >= 400:
        try:
            refusal = response.json()
            reasons = "; ".join(f"{r['code']}: {r['message']}" for r in refusal.get("reasons", []))
            why = f"{refusal['error']}: {refusal['message']}" + (f" ({reasons})" if reasons else "")
        except (ValueError, KeyError):
            why = response.text[:500]
        raise Refused(f"{method} {path} answered {response.status_code}: {why}")
    return response.json()


def at(moment: datetime) -> str:
    """A moment as the API reads it: ISO 8601 with its offset."""
    return moment.isoformat()


# --- enrolment and collection --------------------------------------------------------------------------------------


def enrol(investigator: Person, *, subject: str, mrn: str) -> str:
    """Enrol the subject, answer the protocol's criteria as read from the API, sign: the therapy's COI identifier."""
    today = datetime.now(UTC).date()
    call(investigator, "POST", "/recipients", {
        "subject_code": subject, "family_name": "Example", "given_name": "Patient", "date_of_birth": "1990-04-02",
        "mrn": mrn, "sex": "female", "protocol_id": PROTOCOL, "indication": INDICATION,
        "consent_date": (today - timedelta(days=3)).isoformat(),
        "weight": {"visit_date": today.isoformat(), "weight_kg": 62.5}})
    criteria = call(investigator, "GET", f"/protocols/{PROTOCOL}/eligibility-criteria",
                    params={"indication": INDICATION, "donor_kind": "autologous"})["criteria"]
    # The investigator's answers come from the subject's record; this subject meets every inclusion criterion and
    # none of the exclusions.
    answers = {criterion["id"]: criterion["kind"] == "inclusion" for criterion in criteria}
    assessed = call(investigator, "POST", f"/recipients/{subject}/eligibility", {
        "answers": answers, "prescribed_cells_per_kg": 1e6, **investigator.signature})
    if not assessed["eligible"]:
        raise Refused(f"{subject} is not eligible: {assessed['reasons']}")
    coi: str = assessed["therapy_coi"]
    return coi


def collect(crew: dict[str, Person], coi: str) -> tuple[str, str]:
    """Collect the marrow, label its bag, hand it over twice and receive it at the lab: (DIN, the bag's scan)."""
    investigator, courier, operator = crew["investigator"], crew["courier"], crew["operator"]
    din: str = call(investigator, "POST", "/collections", {"therapy_coi": coi})["din"]
    now = datetime.now(UTC)
    call(investigator, "POST", f"/collections/{din}/transitions/collect", {
        "started_at": at(now - timedelta(hours=2.5)), "occurred_at": at(now - timedelta(hours=2)),
        "volume_ml": 55.0, "anticoagulant": "heparin", "site": "posterior iliac crest"})
    printed = call(investigator, "POST", f"/lots/{din}/labels", {"kind": "aspirate_bag", "format": "png"})
    bag_scan = ""
    for label in printed["job"]["labels"]:
        bag_scan = label["barcodes"]["din_barcode"]["data"]  # what a scanner reads from the label just printed
        call(investigator, "POST", f"/labels/{label['id']}/apply", {"scan": bag_scan})
    call(investigator, "POST", f"/collections/{din}/transitions/dispatch", {})
    for giver, taker, hours_ago in ((investigator, courier, 1.8), (courier, operator, 1.2)):
        call(giver, "POST", "/custody-events", {
            "scan": bag_scan, "handed_over_by": giver.username, "received_by": taker.username,
            "location": "corridor", "temperature_c": 21.0, "occurred_at": at(now - timedelta(hours=hours_ago))})
    call(operator, "POST", "/receipts", {
        "scan": bag_scan, "expected_din": din, "temperature_c": 20.0, "decision": "accept", "reason": "",
        "inspection": {"bag_intact": True, "seal_intact": True, "label_legible": True, "no_clots": True}})
    return din, bag_scan


# --- manufacture ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """The workstation, and what is scanned at it: material lots by kind, instruments by kind."""

    station: str
    materials: dict[str, str]
    instruments: dict[str, str]


def find_bench(operator: Person, station: str) -> Bench:
    """The first usable material lot and instrument of each kind, as the API lists them; the cabinet scanned is the
    workstation's own."""
    materials: dict[str, str] = {}
    for kind in MATERIAL_KINDS:
        lots = call(operator, "GET", "/materials", params={"kind": kind, "status": "released"})
        usable = [lot["code"] for lot in lots if not lot["expired"]]
        if not usable:
            raise Refused(f"no released, unexpired {kind} in stock")
        materials[kind] = usable[0]
    instruments: dict[str, str] = {}
    for kind in INSTRUMENT_KINDS:
        found = call(operator, "GET", "/equipment", params={"kind": kind, "active": "true"})
        usable = [item["code"] for item in found if not item["calibration_overdue"]]
        if not usable:
            raise Refused(f"no calibrated {kind} in service")
        instruments[kind] = station if kind == "biosafety_cabinet" and station in usable else usable[0]
    return Bench(station, materials, instruments)


def step(crew: dict[str, Person], bench: Bench, din: str, code: str, *, scans: Sequence[str],
         values: dict[str, float], new_vessels: int = 0) -> list[str]:
    """One processing step at the bench: start, scans, values, new vessels labelled, signed completion, and the
    second operator's verification where the step asks for it. The new vessels' 2-D codes."""
    operator = crew["operator"]
    here = f"/workstations/{bench.station}/steps/{code}"
    call(operator, "POST", f"{here}/start")
    for raw in scans:
        call(operator, "POST", f"{here}/scans", {"scan": raw})
    for name, value in values.items():
        call(operator, "POST", f"{here}/values", {"name": name, "value": value})
    codes: list[str] = []
    if new_vessels:
        added = call(operator, "POST", f"{here}/vessels", {"count": new_vessels})
        printed = call(operator, "POST", f"/lots/{din}/labels", {
            "container_ids": [container["id"] for container in added], "format": "zpl", "station": bench.station})
        codes = [label["barcodes"]["compound_datamatrix"]["data"] for label in printed["job"]["labels"]]
        for raw in codes:
            call(operator, "POST", f"{here}/scans", {"scan": raw})
    done = call(operator, "POST", f"{here}/complete", operator.signature)
    if next(s for s in done["steps"] if s["code"] == code)["second_person"]:
        call(crew["verifier"], "POST", f"/lots/{din}/steps/{code}/verify", crew["verifier"].signature)
    return codes


def vessels(operator: Person, din: str) -> list[str]:
    """What a scanner reads from each culture vessel in use: `=`, the DIN and the vessel's flag (ISBT 128)."""
    containers = call(operator, "GET", f"/lots/{din}/containers")
    return [f"={din}{c['sample_flag']}" for c in containers
            if c["kind"] == "culture_vessel" and c["status"] == "in_use"]


def manufacture(crew: dict[str, Person], bench: Bench, din: str, bag_scan: str) -> list[str]:
    """Isolation, two passages, harvest and formulation: the product bags' 2-D codes."""
    operator, m = crew["operator"], bench.materials
    tools = [bench.instruments[kind] for kind in INSTRUMENT_KINDS]
    call(operator, "POST", f"/workstations/{bench.station}/lot", {"scan": bag_scan})
    step(crew, bench, din, "isolation", scans=[bag_scan, m["medium"], m["platelet_lysate"], m["pen_strep"], *tools],
         values={"nucleated_cells": 4e8, "viability": 96, "cells_seeded": 4e8, "seeding_density": 1.6e5},
         new_vessels=2)
    seeded = 4e6
    for number in (1, 2):
        harvested = seeded * 8
        step(crew, bench, din, f"passage_{number}",
             scans=[*vessels(operator, din), m["medium"], m["platelet_lysate"], m["pen_strep"], m["trypsin"], *tools],
             values={"confluence": 85, "cells_harvested": harvested, "viability": 95, "cells_seeded": harvested / 2,
                     "seeding_density": 4000}, new_vessels=2)
        seeded = harvested / 2
    step(crew, bench, din, "harvest", scans=[*vessels(operator, din), m["trypsin"], m["saline"], *tools[:2]],
         values={"confluence": 88, "cells_harvested": seeded * 6, "viability": 94})
    bags = step(crew, bench, din, "formulation", scans=[m["saline"], m["albumin"], *tools[:2]],
                values={"viable_cells": 6.2e7, "viability": 93, "volume": 50}, new_vessels=2)
    call(operator, "POST", f"/workstations/{bench.station}/close")
    return bags


def test_and_release(crew: dict[str, Person], din: str, results: list[dict[str, Any]]) -> None:
    """QC samples taken and tested, the record reviewed and the lot released by QA with their signature."""
    operator, analyst, qa = crew["operator"], crew["analyst"], crew["qa"]
    samples = call(operator, "POST", f"/lots/{din}/containers", {"kind": "qc_sample", "count": 2})
    call(operator, "POST", f"/lots/{din}/transitions/submit_to_qc", {"reason": ""})
    sample = f"={din}{samples[0]['sample_flag']}"
    for result in results:
        body = {"scan": sample, "test_code": result["test_code"], "result_text": result.get("result_text", "")}
        if result.get("value") is not None:
            body["value"] = result["value"]
        call(analyst, "POST", f"/lots/{din}/qc/results", body)
    call(qa, "POST", f"/lots/{din}/record-review", qa.signature)
    released = call(qa, "POST", f"/lots/{din}/release", qa.signature)
    if released["decision"] != "released":
        raise Refused(f"lot {din} was not released: {released}")


# --- to the bedside ------------------------------------------------------------------------------------------------


def infuse(crew: dict[str, Person], coi: str, din: str, bags: list[str]) -> list[int]:
    """Ship, receive at the clinic, check each bag against the wristband with two clinicians, infuse: infusion ids."""
    operator, courier, nurse, second = crew["operator"], crew["courier"], crew["nurse"], crew["second_clinician"]
    call(operator, "POST", f"/lots/{din}/shipments", {
        "scans": bags, "handed_over_by": None, "received_by": courier.username, "temperature_c": TRANSPORT_C,
        "location": "dispatch"})
    call(nurse, "POST", f"/lots/{din}/clinic-receipts", {
        "scans": bags, "handed_over_by": courier.username, "received_by": None, "temperature_c": TRANSPORT_C,
        "location": "ward 5"})
    wristband = f"&/{coi}"  # what a scanner reads from the recipient's wristband (ISBT 128 COI structure)
    infusions: list[int] = []
    for bag in bags:
        checked = call(nurse, "POST", "/bedside/checks", {
            "wristband_scan": wristband, "bag_scan": bag, "second_clinician": second.username,
            "second_password": second.password, "acknowledge_pending_sterility": False})
        if not checked["ok"]:
            raise Refused(f"the bedside check stopped bag {bag!r}: {checked}")
        now = datetime.now(UTC)
        start = now.replace(second=0, microsecond=0)
        infused = call(nurse, "POST", "/bedside/infusions", {
            "check_id": checked["id"], "started_at": at(start), "ended_at": at(max(now, start + timedelta(seconds=1))),
            "volume_ml": 50.0, "vitals_before": VITALS, "vitals_after": {**VITALS, "heart_rate_bpm": 80},
            "adverse_reactions": "", **nurse.signature, "second_clinician": second.username,
            "second_password": second.password})
        infusions.append(infused["id"])
    return infusions


# --- the whole run -------------------------------------------------------------------------------------------------


def run(base_url: str, crew_file: Path, qc_file: Path, *, station: str, subject: str, mrn: str) -> dict[str, Any]:
    """The therapy from enrolment to infusion; what it left: COI, DIN, bags and infusions."""
    people = json.loads(crew_file.read_text(encoding="utf-8"))
    missing = [part for part in CREW if part not in people]
    if missing:
        raise Refused(f"{crew_file} names no one for: {', '.join(missing)}")
    results = json.loads(qc_file.read_text(encoding="utf-8"))
    crew = {part: Person(people[part]["username"], people[part]["password"],
                         httpx.Client(base_url=base_url, timeout=60.0,
                                      headers={"Authorization": f"Bearer {people[part]['token']}"}))
            for part in CREW}
    try:
        coi = enrol(crew["investigator"], subject=subject, mrn=mrn)
        din, bag_scan = collect(crew, coi)
        bags = manufacture(crew, find_bench(crew["operator"], station), din, bag_scan)
        test_and_release(crew, din, results)
        infusions = infuse(crew, coi, din, bags)
    finally:
        for person in crew.values():
            person.http.close()
    return {"subject": subject, "coi": coi, "din": din, "bags": bags, "infusions": infusions}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run, print what the run left as JSON; exit 1 with the refusal when a step is refused."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="where batchtrack answers, e.g. https://batchtrack.example")
    parser.add_argument("--crew", required=True, type=Path, help="JSON: each part's username, password and token")
    parser.add_argument("--qc-results", required=True, type=Path, help="JSON: the lot's QC results")
    parser.add_argument("--station", required=True, help="the workstation (with a label printer) to manufacture at")
    parser.add_argument("--subject", required=True, help="the new subject's code, e.g. S-900")
    parser.add_argument("--mrn", required=True, help="the subject's medical record number")
    args = parser.parse_args(argv)
    try:
        outcome = run(args.base_url, args.crew, args.qc_results, station=args.station, subject=args.subject,
                      mrn=args.mrn)
    except (Refused, httpx.HTTPError) as exc:
        sys.stderr.write(f"stopped: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(outcome) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
