"""The live board in Chromium: how long the browser takes to apply each message.

    .venv/bin/python bench/browser_live.py [--seconds 15]

The simulator's market at its default rate, daphne with the embedded relay, one supervisor's
board in headless Chromium (Debian's, /usr/bin/chromium). Twice in one run: first with
static/js/live.js swapping each message's fragments itself (what ships), then with its
handler skipped so the htmx ws extension swaps them (its default). Prints messages applied,
the median and longest time per market-step message (hundreds of rows or rows' moving cells),
and the share of the page's main thread spent applying messages. Not a test: figures for
docs/architecture.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.support.portal import PortalProcess  # noqa: E402
from tests.support.simulator import SimulatorProcess  # noqa: E402
from tests.support.staff import PASSWORD  # noqa: E402

CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Time from the ws extension's "message arrived" to "message applied", with the count of
# elements it swaps (rows and cells).
TIMING = """
window.__applied = []; let began = 0, rows = 0;
window.addEventListener("htmx:wsBeforeMessage", (e) => {
  began = performance.now(); rows = (e.detail.message.match(/<t[rd] id=/g) || []).length;
}, true);
window.addEventListener("htmx:wsAfterMessage", () => {
  window.__applied.push([rows, performance.now() - began]);
}, true);
"""
# Stops live.js's own handler (registered on document, bubbling) from seeing the message, so
# the extension swaps it as it would without live.js.
HTMX_SWAPS = """
window.addEventListener("htmx:wsBeforeMessage", (e) => e.stopImmediatePropagation(), true);
"""


def measure(browser, url: str, seconds: float, htmx_swaps: bool) -> dict:
    page = browser.new_page()
    page.add_init_script(TIMING + (HTMX_SWAPS if htmx_swaps else ""))
    page.goto(url + "/login/?next=/live/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/live/")
    page.wait_for_selector("#live-positions tr[id^='pos-']", state="attached")
    page.evaluate("window.__applied = []")
    time.sleep(seconds)  # the observation window: the page applies what the market sends
    applied = page.evaluate("window.__applied")
    page.close()
    steps = sorted(ms for rows, ms in applied if rows >= 100)
    return {
        "messages": len(applied), "steps": len(steps),
        "rows": statistics.median([r for r, _ in applied if r >= 100]) if steps else 0,
        "p50": statistics.median(steps) if steps else 0, "max": steps[-1] if steps else 0,
        "busy": sum(ms for _, ms in applied) / (seconds * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    sim = SimulatorProcess().start()
    portal = PortalProcess(omtrader_url=sim.url, staff={"sam": ("supervisor", [])}, env={
        "REDIS_URL": "", "LIVE_RELAY": "embedded",
        "OMTRADER_USERNAME": sim.username, "OMTRADER_PASSWORD": sim.password,
    })
    try:
        portal.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM)
            results = [(name, measure(browser, portal.url, args.seconds, htmx_swaps))
                       for name, htmx_swaps in (("live.js swaps (ships)", False),
                                                ("htmx ws extension swaps", True))]
            browser.close()
    finally:
        portal.stop()
        sim.stop()
    print(f"\none supervisor's board, {args.seconds:.0f} s each; a market-step message is one "
          "that swaps 100 elements (rows or cells) or more")
    print(f"{'':26} {'messages':>8} {'steps':>6} {'elements':>8} {'p50 ms':>8} {'max ms':>8} "
          f"{'main thread':>11}")
    for name, r in results:
        print(f"{name:26} {r['messages']:>8} {r['steps']:>6} {r['rows']:>8.0f} {r['p50']:>8.1f} "
              f"{r['max']:>8.1f} {r['busy']:>10.0%}")
    ours, theirs = results[0][1], results[1][1]
    if ours["p50"]:
        print(f"htmx's own swapping takes {theirs['p50'] / ours['p50']:.0f}x as long per step")


if __name__ == "__main__":
    main()
