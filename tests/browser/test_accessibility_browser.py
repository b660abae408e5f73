"""axe-core in Chromium over every page each role reaches: no serious or critical violation.

Each role signs in, follows the links of the top navigation and of the pages below (one page
per shape of URL, ids counted as one), and axe checks each page as it stands after htmx and the
live socket settle. axe is injected through Playwright's evaluate (the debugger protocol), which
the pages' Content Security Policy does not govern."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.support.browser import shape, walk
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser

ROLES = ("backoffice", "compliance", "supervisor", "administrator", "roleless")
SKIP = re.compile(r"^/(logout|static)/|\.csv$|/delete/$")
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(env={"REDIS_URL": "", "LIVE_RELAY": "embedded",
                                 "OMTRADER_URL": simulator.url,
                                 "OMTRADER_WS_URL": simulator.ws_url},
                            staff={role: (role, []) for role in ROLES if role != "roleless"})
    process.start()
    process.manage("shell", "--no-imports", "-c",
                   "from django.contrib.auth import get_user_model; "
                   "user = get_user_model().objects.create_user('roleless'); "
                   f"user.set_password({PASSWORD!r}); user.save()")
    yield process
    process.stop()


def problems(page, axe: Axe) -> list[str]:
    found = []
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            found.append(f"{urlsplit(page.url).path}: {violation['id']} ({violation['impact']}):"
                         f" {violation['help']} at {targets}")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_it_finds_no_serious_violation_on_any_page_a_role_reaches(page, portal, role):
    axe = Axe()
    page.goto(portal.url + "/login/")
    found = problems(page, axe)
    page.fill("#id_username", role)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    origin = portal.url
    start = [page.url] + [urljoin(origin + "/", href) for href in page.eval_on_selector_all(
        "a[href]", "links => links.map(a => a.getAttribute('href'))")]
    walked = set()
    for url, _ in walk(page, origin, start, SKIP):
        walked.add(shape(urlsplit(url).path))
        found += problems(page, axe)
    assert len(walked) >= (1 if role == "roleless" else 4), sorted(walked)
    assert found == [], "\n".join(found)


def test_muted_text_on_warning_and_danger_rows_is_readable(page, portal):
    """The live board and the account lists tint rows at a margin call or stop-out; the
    muted text in them (a currency after an amount) keeps 4.5:1 on either tint."""
    page.goto(portal.url + "/login/")
    page.evaluate("""() => { const table = document.createElement('table');
        table.className = 'table';
        for (const tint of ['row-warn', 'row-danger']) {
            const row = table.insertRow(); row.className = tint;
            row.insertCell().innerHTML = '-12.50 <span class="muted">USD</span>'; }
        document.querySelector('main').append(table); }""")
    result = Axe().run(page, context="table.table", options={"runOnly": ["color-contrast"]})
    assert result.response["violations"] == [], result.response["violations"]
