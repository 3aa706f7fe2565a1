"""The benchmark suite runs end to end (--quick sizes) and saves every figure it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("BATCHTRACK_TEST_DATABASE_URL", "")
LOT_PAGES = ("lot page (HTML)", "report page (HTML)", "report JSON", "report PDF",
             "audit review first page (JSON)", "audit review lot page (JSON)")
WORKLISTS = ("worklist QA (JSON)", "worklist operator (JSON)")
PAGES = LOT_PAGES + WORKLISTS
# The work the seeded lots hold for each worklist, at both sizes (lots in QC, waiting for processing, a step open).
SEEDED_WORK = {"worklist QA (JSON)": ("qc_results_due", "release_awaiting", "lot_expiring"),
               "worklist operator (JSON)": ("processing_due", "step_open", "lot_expiring")}
TIMEOUT_S = 300  # about 40 s on an idle 2-core machine; far more when it is shared with other test runs
LABEL_FORMATS = ("zpl 203 dpi", "zpl 300 dpi", "png 300 dpi", "png 203 dpi", "svg", "pdf (A4, 1 label)",
                 "zpl 203 dpi Hangul", "zpl 300 dpi Hangul", "png 300 dpi Hangul")


@pytest.mark.slow
def test_quick_run_saves_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    command = [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--out", str(out)]
    if PG_URL:
        command += ["--database-url", PG_URL]
    env = {name: value for name, value in os.environ.items() if not name.startswith("BATCHTRACK_")}
    with subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.terminate()  # SIGTERM: the suite stops its servers and drops its scratch database
            stdout, stderr = process.communicate(timeout=60)
            pytest.fail(f"the quick run took over {TIMEOUT_S} s:\n{stderr[-3000:]}")
    assert process.returncode == 0, stderr[-3000:]
    figures = json.loads(out.read_text())

    assert figures["database"] == ("postgresql" if PG_URL else "sqlite")
    assert set(figures["labels"]) == set(LABEL_FORMATS)
    assert all(rate["labels"] > 0 and rate["labels_per_s_cpu"] > 0 for rate in figures["labels"].values())

    runs = {(run["target"], run["clients"]): run for run in figures["scan"]["runs"]}
    assert set(runs) == {(target, clients) for target in ("bare", "scan") for clients in (1, 16, 64)}
    for run in runs.values():
        assert run["requests"] > 0 and run["p50_ms"] is not None and run["p99_ms"] is not None, run
    assert runs["scan", 16]["errors"] == 0, runs["scan", 16]["error_kinds"]
    assert "p99_met" in figures["scan"]["targets"]

    pages = figures["pages"]
    for size in ("small", "large"):
        assert set(pages[size]) == set(PAGES)
        for name, page in pages[size].items():
            assert page["errors"] == 0, (size, name, page["error_example"])
            assert page["median_ms"] > 0 and page["bytes"] > 0
    assert all(verdict["ratio"] is not None for verdict in pages["scaling"].values())
    # The worklists are timed with work to show at both sizes, as many items at each.
    for name, kinds in SEEDED_WORK.items():
        for size in ("small", "large"):
            items = pages[size][name]["items"]
            assert all(items[kind] > 0 for kind in kinds), (size, name, items)
        assert pages["small"][name]["items"] == pages["large"][name]["items"] or figures["sizes"]["quick"]
    assert all(count > 0 for count in pages["open_lots"]["small"].values()), pages["open_lots"]

    memory = figures["memory"]
    assert memory["failures"] == {} and sum(memory["answered"].values()) == memory["requests"]
    assert set(memory["answered"]) == {"scan", *LOT_PAGES}
    assert memory["rss_after_mb"] > 0

    # The full verification finds nothing in the seeded database (lots' histories, checkpoints, the demonstration's
    # signatures and custody), and times its parts.
    verify = figures["audit_verify"]
    assert verify["ok"] and verify["findings"] == 0, verify["first_findings"]
    assert verify["entries"] > figures["sizes"]["audit_entries"]  # seeded, plus what the app recorded
    assert verify["checkpoints"] >= figures["sizes"]["audit_entries"] // 1001 and verify["log_lines"] > 1
    assert verify["entries_per_s"] > 0
    assert verify["chain_seconds"] > 0 and verify["records_seconds"] > 0 and verify["log_seconds"] >= 0
    assert figures["audit_hash_baseline"]["entries"] == verify["entries"]
    assert figures["startup"]["median_s"] > 0

    # The printed table: one line per saved figure, each with its verdict where it has a target.
    saved = figures["figures"]
    assert len(saved) == len(LABEL_FORMATS) + 6 + 1 + len(PAGES) + 1 + 3 + 1
    for line in saved:
        if line["target"]:
            assert line["met"] in (True, False)
            assert line["figure"] in stdout
    assert "met" in stdout


@pytest.mark.slow
@pytest.mark.skipif(bool(PG_URL), reason="the harness's switch is the same on both engines; checked on SQLite")
def test_pages_only_times_the_pages_and_worklists_at_both_sizes_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "pages.json"
    env = {name: value for name, value in os.environ.items() if not name.startswith("BATCHTRACK_")}
    command = [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--pages-only", "--out", str(out)]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["labels"] == {} and not {"scan", "memory", "audit_verify", "startup"} & set(figures)
    assert set(figures["pages"]["small"]) == set(figures["pages"]["large"]) == set(PAGES)
    assert all(verdict["ratio"] is not None for verdict in figures["pages"]["scaling"].values())
    assert "worklist operator (JSON) median ms at" in done.stdout and "scan 16 clients" not in done.stdout
