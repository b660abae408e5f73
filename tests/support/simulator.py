"""Run the OMTrader simulator as a real subprocess for tests.

    sim = SimulatorProcess()
    sim.start()            # --control on a free loopback port, waits for /_sim/health
    sim.login()            # -> {"access_token", "session_id", ...}
    sim.control(latency_ms=100)
    sim.stop()
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
READY_PREFIX = "OMTrader simulator listening on http://"
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0


class SimulatorError(RuntimeError):
    pass


class SimulatorProcess:
    """`python -m simulator --control` on loopback, with helpers for its control API."""

    username = "crm-api"
    password = "crm-api-secret"

    def __init__(self, extra_args: Sequence[str] = (), port: int | None = None) -> None:
        self.extra_args = tuple(extra_args)
        self.port = port
        self.url = ""
        self.ws_url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._http = requests.Session()
        self._output: list[str] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SimulatorProcess:
        if self._proc is not None:
            return self
        args = [sys.executable, "-m", "simulator", "--host", "127.0.0.1",
                "--port", str(self.port or 0), "--control", *self.extra_args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("SIM_USERS", None)
        self._proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
        port = self._wait_for_banner()
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self._wait_for_health()
        return self

    def _wait_for_banner(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        found: list[int] = []
        stdout = self._proc.stdout

        def read() -> None:
            for line in stdout:
                self._output.append(line)
                if not found and line.startswith(READY_PREFIX):
                    found.append(int(line.strip().rsplit(":", 1)[1]))
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not found:
            if self._proc.poll() is not None:
                raise SimulatorError("simulator exited:\n" + "".join(self._output))
            if time.monotonic() > deadline:
                self.stop()
                raise SimulatorError("simulator did not start:\n" + "".join(self._output))
            time.sleep(0.02)
        return found[0]

    def _wait_for_health(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if self._http.get(self.url + "/_sim/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SimulatorError("simulator health check timed out")
            time.sleep(0.02)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        self._http.close()

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def output(self) -> str:
        return "".join(self._output)

    # -- control API -------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        resp = self._http.request(method, self.url + path, json=body, timeout=CALL_TIMEOUT)
        if resp.status_code != 200:
            raise SimulatorError(f"{method} {path}: {resp.status_code} {resp.text}")
        return resp.json()

    def control(self, **knobs: Any) -> dict[str, Any]:
        """Set knobs (latency_ms, jitter_ms, error_rate, error_status, token_lifetime,
        event_rate, market_paused, strict_paths); returns all current knobs."""
        return self._call("POST", "/_sim/control", knobs)

    def fault(self, **spec: Any) -> Any:
        """Make the next `count` requests matching method + path fail (kind status,
        malformed or wrong_type)."""
        return self._call("POST", "/_sim/fault", spec)

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/counters")

    def reset(self) -> Any:
        return self._call("POST", "/_sim/reset")

    def drop_ws(self) -> Any:
        return self._call("POST", "/_sim/drop_ws")

    def step(self, seconds: float) -> Any:
        return self._call("POST", "/_sim/market/step", {"seconds": seconds})

    def shock(self, symbol: str, pct: float) -> Any:
        return self._call("POST", "/_sim/market/shock", {"symbol": symbol, "pct": pct})

    def ws_send(self, group_id: int, raw: str, binary: bool = False) -> Any:
        return self._call("POST", "/_sim/ws/send",
                          {"group_id": group_id, "raw": raw, "binary": binary})

    def session_logout(self, session_id: str) -> Any:
        return self._call("POST", "/_sim/session_logout", {"session_id": session_id})

    def login(self) -> dict[str, Any]:
        """Log in as the manager; returns the envelope's `data` (access_token, session_id…)."""
        resp = self._http.post(self.url + "/api/v1/oauth2/login", params={"remember_me": "false"},
                               auth=(self.username, self.password), timeout=CALL_TIMEOUT)
        if resp.status_code != 200:
            raise SimulatorError(f"login failed: {resp.status_code} {resp.text}")
        return resp.json()["data"]
