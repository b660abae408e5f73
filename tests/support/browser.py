"""Helpers for the Playwright tests."""

from __future__ import annotations

import time


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
