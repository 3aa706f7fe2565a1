"""Reads one pip-audit JSON report and decides, failing closed (used by .ci/audit-deps).

Usage: python .ci/audit_verdict.py REPORT SERVICE ANSWERS PROJECT
  ANSWERS  1 when a probe reached the vulnerability service, else 0
  PROJECT  the project's own package name, which no service knows (it is not published)

Exit status: 0 every package was checked and none has a known vulnerability; 1 the audit fails (a known
vulnerability, or a service that answers yet left packages unchecked); 2 this service could not be used and
does not answer, so the next one may be tried.
"""

from __future__ import annotations

import json
import sys
from typing import Any

PASS, FAIL, TRY_NEXT = 0, 1, 2


def verdict(report: dict[str, Any] | None, service: str, answers: bool, project: str) -> tuple[int, list[str]]:
    """The exit status for `report` and the lines that explain it."""
    if report is None:
        if answers:
            return FAIL, [f"dependency audit FAILED: the {service} service answers, but pip-audit wrote no report"]
        return TRY_NEXT, []
    deps = report.get("dependencies", [])
    checked = [d for d in deps if "skip_reason" not in d]
    unchecked = [d for d in deps if "skip_reason" in d and d["name"] != project and "editable" not in d["skip_reason"]]
    vulnerable = [d for d in checked if d.get("vulns")]
    if not checked and not answers:
        return TRY_NEXT, []
    lines = [f"dependency audit ({service}): {len(checked)} packages checked, {len(unchecked)} not checked, "
             f"{len(vulnerable)} with known vulnerabilities"]
    lines += [f"  not checked: {d['name']} {d.get('version', '')}: {d['skip_reason']}" for d in unchecked]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            lines.append(f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes}) "
                         f"{vuln.get('description', '')[:160]}")
    if vulnerable:
        return FAIL, [*lines, "dependency audit FAILED: upgrade or pin the packages named above"]
    if unchecked or not checked:
        # The service answers, so a package it did not check is one nobody checked: that is not a pass.
        return FAIL, [*lines, f"dependency audit FAILED: the {service} service answers but did not check every "
                              "package"]
    return PASS, [*lines, "dependency audit: no known vulnerabilities"]


def main(argv: list[str]) -> int:
    """Reads the report named on the command line, prints the explanation and returns the exit status."""
    path, service, answers, project = argv[1], argv[2], argv[3] == "1", argv[4]
    try:
        with open(path, encoding="utf-8") as handle:
            report: dict[str, Any] | None = json.load(handle)
    except (OSError, ValueError):
        report = None
    status, lines = verdict(report, service, answers, project)
    for line in lines:
        sys.stdout.write(line + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
