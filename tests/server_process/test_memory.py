"""The server process shares a few malloc arenas among its worker threads (glibc on Linux)."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys

import pytest

from batchtrack import cli
from batchtrack.config import get_settings
from batchtrack.server_process import cpu as process_cpu
from batchtrack.server_process import memory as process_memory

# Eight threads each hold a malloc'd block at the same time; glibc gives every new thread an arena of its own
# until the cap, so the count of heaps malloc_info reports is the number of arenas in use.
PROBE = """
import ctypes, ctypes.util, os, re, sys, tempfile, threading
from batchtrack.server_process import memory as process_memory
if sys.argv[1] == "cap":
    assert process_memory.share_heap_arenas()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.fdopen.restype = ctypes.c_void_p
libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
barrier = threading.Barrier(9)
def hold():
    block = libc.malloc(4096)
    barrier.wait()
    barrier.wait()
    libc.free(block)
threads = [threading.Thread(target=hold) for _ in range(8)]
for thread in threads:
    thread.start()
barrier.wait()
with tempfile.TemporaryFile() as report:
    stream = libc.fdopen(os.dup(report.fileno()), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    report.seek(0)
    heaps = len(re.findall(r"<heap nr=", report.read().decode()))
barrier.wait()
for thread in threads:
    thread.join()
print(heaps)
"""

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")


def arenas_in_use(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True)
    return int(done.stdout.strip())


@glibc_only
def test_capped_process_uses_at_most_the_cap_of_arenas() -> None:
    assert arenas_in_use("cap") <= process_memory.SERVER_ARENAS


@glibc_only
def test_uncapped_process_gives_each_thread_an_arena() -> None:
    # The control: without the cap the same eight threads spread over more arenas than the cap allows.
    assert arenas_in_use("free") > process_memory.SERVER_ARENAS


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))  # as on macOS, or musl
    assert process_memory.share_heap_arenas() is False


def test_serving_app_caps_arenas_and_takes_a_processor_before_building_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import batchtrack.main

    calls: list[str] = []

    def cap_arenas() -> bool:
        calls.append("arenas")
        return True

    def take_a_processor() -> int:
        calls.append("processor")
        return 0

    def build_app(*_args: object) -> object:
        calls.append("app")
        return object()

    monkeypatch.setattr(process_memory, "share_heap_arenas", cap_arenas)
    monkeypatch.setattr(process_cpu, "keep_on_one_cpu", take_a_processor)
    monkeypatch.setattr(batchtrack.main, "create_app", build_app)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setenv("BATCHTRACK_ONE_CPU_PER_PROCESS", "true")  # off by default
    get_settings.cache_clear()
    try:
        cli.serving_app()
    finally:
        get_settings.cache_clear()
    assert calls == ["arenas", "processor", "app"]
