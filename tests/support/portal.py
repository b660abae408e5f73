"""The real portal in a subprocess: migrated SQLite file, staff users, daphne on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.staff import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PortalProcess:
    """A daphne-served portal. `staff` maps username -> (role slug, group ids); no group ids
    means the member sees every group."""

    def __init__(self, omtrader_url: str = "", staff=None, env=None, database_url: str = ""):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = tempfile.mkdtemp(prefix="portal-")
        self.staff = staff or {}
        self.env = {
            **os.environ,
            "DEBUG": "true",
            "SECRET_KEY": "portal-process-test-key-" + "x" * 30,
            "DATABASE_URL": database_url or f"sqlite:///{self.workdir}/db.sqlite3",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "OTP_REQUIRED_ROLES": "none",  # as `make run`; a test may ask for "all"
            **({"OMTRADER_URL": omtrader_url} if omtrader_url else {}),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, input=stdin,
            capture_output=True, text=True, timeout=180,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def start(self) -> PortalProcess:
        self.manage("migrate", "--noinput")
        for username, (role, groups) in self.staff.items():
            scope = (["--groups", ",".join(map(str, groups))] if groups else ["--all-groups"])
            self.manage("createstaff", username, "--role", role, *scope, "--password-stdin",
                        stdin=PASSWORD + "\n")
        self.log = open(Path(self.workdir) / "daphne.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "crmportal.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self._wait_until_up()
        return self

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.read_log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"portal did not start within {timeout}s: {self.read_log()}")

    def read_log(self) -> str:
        return (Path(self.workdir) / "daphne.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if getattr(self, "log", None):
            self.log.close()

    def spawn(self, name: str, *args: str) -> ManagedCommand:
        """Another `manage.py` command with this portal's environment (e.g. the relay)."""
        return ManagedCommand(self, name, args)


class ManagedCommand:
    """A long-running `manage.py` command, its output in `<workdir>/<name>.log`."""

    def __init__(self, portal: PortalProcess, name: str, args: tuple[str, ...]):
        self.path = Path(portal.workdir) / f"{name}.log"
        self.log = open(self.path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=portal.env,
            stdout=self.log, stderr=subprocess.STDOUT,
        )

    def read_log(self) -> str:
        return self.path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.read_log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"no {text!r} in {self.path.name}:\n{self.read_log()[-3000:]}")
            time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def embedded_env(simulator, **more: str) -> dict[str, str]:
    """A portal process in the embedded shape (relay and scheduler inside daphne) against this
    simulator, whatever the suite's own environment (the scale-out pass sets REDIS_URL)."""
    return {"REDIS_URL": "", "LIVE_RELAY": "embedded", "OMTRADER_URL": simulator.url,
            "OMTRADER_WS_URL": simulator.ws_url, **more}
