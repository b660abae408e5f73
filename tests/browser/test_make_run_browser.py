"""`make run` (scripts/run.sh) as a newcomer demos it: DEBUG off, collected static files, the
product's own error pages, signing in over plain http on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.support.portal import ROOT, free_port

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-pass-2026"


@pytest.fixture(scope="module")
def running():
    workdir = Path(tempfile.mkdtemp(prefix="make-run-"))
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DEBUG", "SECRET_KEY", "OMTRADER_URL", "OMTRADER_WS_URL", "REDIS_URL",
                          "DATABASE_URL", "OTP_REQUIRED_ROLES", "DEMO_STAFF")}
    env.update(PORT=str(port), SIM_PORT=str(free_port()), SIM_STATE=str(workdir / "sim.json"),
               DATABASE_URL=f"sqlite:///{workdir}/db.sqlite3")
    log = open(workdir / "run.log", "w")  # noqa: SIM115
    process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while "CRM Portal is running" not in (workdir / "run.log").read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "run.log").read_text()[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_it_serves_the_product_s_own_not_found_page_with_its_stylesheet(page, running):
    page.goto(running + "/login/")
    page.fill("#id_username", "backoffice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to see you')")  # plain http: the cookie held

    styles = []
    page.on("response", lambda r: styles.append(r.status) if r.url.endswith(".css") else None)
    response = page.goto(running + "/no-such-page/")
    assert response.status == 404
    assert page.inner_text("h1") == "Not found"
    body = page.content()
    assert "URLconf" not in body and "DEBUG = True" not in body  # no Django debug page
    assert styles == [200]  # the collected, hashed stylesheet
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == "sticky"


def test_it_answers_every_area_without_a_server_error(page, running):
    page.goto(running + "/login/?next=/clients/")
    page.fill("#id_username", "backoffice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#client-table tbody tr")
    for path in ("/", "/clients/", "/live/", "/audit/"):
        assert page.goto(running + path).status in (200, 403), path
    assert requests.get(running + "/healthz", timeout=5).status_code == 200
