"""Helpers for the Playwright tests."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from tests.support.staff import PASSWORD


def sign_in(page, portal, username: str) -> None:
    """Sign in through the form and wait for the dashboard's greeting."""
    page.goto(portal.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to see you')")


def wait_for_js(page, expression: str, arg=None, timeout: float = 15000):
    """page.wait_for_function without its in-page eval, which the portal's CSP refuses:
    polls page.evaluate (run through the debugger protocol, outside the policy) until truthy."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(50)


def shape(path: str) -> str:
    """A path with its ids folded: /clients/7/ and /clients/8/ are one shape."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def walk(page, origin: str, start: list[str], skip) -> Iterator[tuple[str, object]]:
    """Open every same-origin page reachable from `start`, one per URL shape, yielding each
    URL and its response once the page has settled (htmx swapped, the live board's socket
    live). `skip` is a compiled pattern of paths not to open."""
    queue = list(start)
    walked: set[str] = set()
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or skip.search(parts.path):
            continue
        if shape(parts.path) in walked:
            continue
        walked.add(shape(parts.path))
        response = page.goto(url)
        page.wait_for_load_state("load")
        if parts.path == "/live/":
            page.wait_for_selector("#live-status[data-state='live']")
        page.wait_for_timeout(200)
        yield url, response
        queue += [urljoin(url, href) for href in page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(a => a.getAttribute('href'))")
            if not href.startswith("#")]
