"""`manage.py serve` (the Docker image's entry point): several daphne processes on one socket
in the scale-out shape, exactly one with the embedded relay, and the set stops as one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from crmportal.live.management.commands.serve import process_count
from tests.support.portal import free_port

ROOT = Path(__file__).resolve().parents[2]


class Served:
    def __init__(self, tmp_path: Path, processes: int, **env: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(self.port),
             "--processes", str(processes)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
                 "LOG_LEVEL": "WARNING", **env},
        )

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def healthz(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stdout.read()
            try:  # the socket listens before daphne runs: a request may wait, then time out
                return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5).status_code
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError("serve did not answer")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def served(tmp_path):
    started: list[Served] = []

    def serve(processes: int, **env: str) -> Served:
        started.append(Served(tmp_path, processes, **env))
        return started[-1]

    yield serve
    for one in started:
        for pid in one.children():
            os.kill(pid, signal.SIGKILL)
        one.stop()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"


def test_it_serves_from_several_processes_in_the_scale_out_shape(served):
    portal = served(2, LIVE_RELAY="external")
    assert portal.healthz() == 200
    assert len(portal.children()) == 2
    answers = {requests.get(f"http://127.0.0.1:{portal.port}/healthz", timeout=5).status_code
               for _ in range(20)}
    assert answers == {200}


def test_it_refuses_several_processes_with_the_embedded_relay(settings):
    settings.LIVE_RELAY = "embedded"
    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("serve", processes=2)


def test_it_picks_one_process_per_core_only_with_the_external_relay(settings):
    settings.LIVE_RELAY = "embedded"
    assert process_count(0) == 1
    settings.LIVE_RELAY = "external"
    assert process_count(0) == max(1, os.cpu_count() or 1)
    assert process_count(3) == 3


def test_it_stops_every_process_on_sigterm(served):
    portal = served(2, LIVE_RELAY="external")
    assert portal.healthz() == 200
    children = portal.children()
    portal.process.send_signal(signal.SIGTERM)
    assert portal.process.wait(timeout=20) == 0
    assert all(gone(pid) for pid in children)


def test_it_stops_the_set_and_fails_when_one_process_dies(served):
    portal = served(2, LIVE_RELAY="external")
    assert portal.healthz() == 200
    first, second = portal.children()
    os.kill(first, signal.SIGKILL)
    assert portal.process.wait(timeout=20) != 0
    assert gone(second)
    assert "ended" in portal.process.stdout.read()
