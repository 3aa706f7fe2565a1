"""Each server process runs on a processor of its own, never one another server process holds."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from batchtrack import cli
from batchtrack.config import get_settings
from batchtrack.server_process import cpu as process_cpu
from batchtrack.server_process import memory as process_memory

# A server process in miniature: it takes a processor (claims kept in argv[1]), starts a thread, says where both
# run, and waits for a line on stdin before it ends.
PROBE = textwrap.dedent("""
    import os, sys, threading
    from pathlib import Path
    from batchtrack.server_process import cpu as process_cpu
    cpu = process_cpu.keep_on_one_cpu(Path(sys.argv[1]))
    seen = []
    thread = threading.Thread(target=lambda: seen.append(sorted(os.sched_getaffinity(0))))
    thread.start()
    thread.join()
    print(cpu, sorted(os.sched_getaffinity(0)), seen[0], flush=True)
    sys.stdin.readline()
""")

linux_with_two_cpus = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="placing processes needs Linux and at least two processors",
)


def start(claims: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-c", PROBE, str(claims)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def stop(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.close()
    assert process.wait(timeout=30) == 0


def placed(report: str) -> int | None:
    cpu = report.split(" ", 1)[0]
    return None if cpu == "None" else int(cpu)


@linux_with_two_cpus
def test_a_server_process_and_the_threads_it_starts_run_on_one_processor(tmp_path: Path) -> None:
    process, report = start(tmp_path)
    try:
        cpu = placed(report)
        assert cpu is not None and cpu in os.sched_getaffinity(0)
        assert report == f"{cpu} [{cpu}] [{cpu}]"
    finally:
        stop(process)


@linux_with_two_cpus
def test_server_processes_never_share_a_processor_and_wait_for_none(tmp_path: Path) -> None:
    allowed = sorted(os.sched_getaffinity(0))
    running = [start(tmp_path) for _ in allowed]
    try:
        cpus = [placed(report) for _, report in running]
        assert sorted(cpu for cpu in cpus if cpu is not None) == allowed
        # One more than there are processors: it is left where the kernel puts it, every processor allowed.
        extra, report = start(tmp_path)
        stop(extra)
        assert report == f"None {allowed} {allowed}"
    finally:
        for process, _ in running:
            stop(process)


@linux_with_two_cpus
def test_a_processor_is_free_again_once_its_process_has_ended(tmp_path: Path) -> None:
    first, report = start(tmp_path)
    taken = placed(report)
    first.kill()  # however it ends
    first.wait(timeout=30)
    again, report = start(tmp_path)
    try:
        assert placed(report) == taken
    finally:
        stop(again)


@linux_with_two_cpus
def test_a_claims_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    # In a shared temporary folder, another user could have put a link where the claims folder goes.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "claims").symlink_to(elsewhere)
    process, report = start(tmp_path / "claims")
    stop(process)
    assert placed(report) is None
    assert not list(elsewhere.iterdir())
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "a-file").write_text("")
    for planted in ("dangling", "a-file"):
        process, report = start(tmp_path / planted)
        stop(process)
        assert placed(report) is None


def test_nothing_is_changed_where_processes_cannot_be_placed(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.delattr(os, "sched_setaffinity", raising=False)  # as on macOS
    assert process_cpu.keep_on_one_cpu(tmp_path) is None
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("setting", [None, "false"])
def test_serving_app_leaves_placement_to_the_kernel_unless_told(
    setting: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import batchtrack.main

    placed_at: list[str] = []
    if setting is None:
        monkeypatch.delenv("BATCHTRACK_ONE_CPU_PER_PROCESS", raising=False)  # off by default: hosts differ
    else:
        monkeypatch.setenv("BATCHTRACK_ONE_CPU_PER_PROCESS", setting)
    get_settings.cache_clear()
    monkeypatch.setattr(process_cpu, "keep_on_one_cpu", lambda: placed_at.append("placed"))
    monkeypatch.setattr(process_memory, "share_heap_arenas", lambda: True)
    monkeypatch.setattr(batchtrack.main, "create_app", lambda *_: object())
    monkeypatch.setattr(gc, "freeze", lambda: None)
    try:
        cli.serving_app()
    finally:
        get_settings.cache_clear()
    assert placed_at == []


def test_by_default_a_server_process_claims_no_processor_and_stays_where_it_was(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tempfile

    import batchtrack.main

    # In containers with their own temporary folder on one host, claims by file would all take the same processor.
    monkeypatch.delenv("BATCHTRACK_ONE_CPU_PER_PROCESS", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(process_memory, "share_heap_arenas", lambda: True)
    monkeypatch.setattr(batchtrack.main, "create_app", lambda *_: object())
    monkeypatch.setattr(gc, "freeze", lambda: None)
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    get_settings.cache_clear()
    try:
        cli.serving_app()
    finally:
        get_settings.cache_clear()
    assert process_cpu.claims_folder().parent == tmp_path
    assert not process_cpu.claims_folder().exists() and list(tmp_path.iterdir()) == []
    assert (os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None) == before
