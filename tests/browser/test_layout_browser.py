"""Layout in Chromium: the client 360 cards wrap at spaces (1280 and 1920 px wide), and at
390 px a phone shows what staff look for first."""

from __future__ import annotations

import pytest
import requests

from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser

# Words (runs without a space) of the card values split over two lines although they fit on
# one: only a word wider than its value column (a long e-mail) may break; a number never.
BROKEN_WORDS = r"""() => {
  const broken = [];
  for (const dd of document.querySelectorAll("dl.fields dd")) {
    const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()];
        const width = rects.reduce((sum, r) => sum + r.width, 0);
        const number = /^[-+]?[\d.,]+%?$/.test(match[0]);
        const split = new Set(rects.map((r) => Math.round(r.top))).size > 1;
        if (split && (number || width <= dd.clientWidth)) {
          broken.push(match[0]);
        }
      }
    }
  }
  return broken;
}"""
# Where the text of each visible empty-state message ends, in px from the left edge.
EMPTY_TEXT_RIGHT = """() => [...document.querySelectorAll(".empty")].filter((el) => el.offsetParent)
  .map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const rights = [...range.getClientRects()].map((r) => r.right);
    return [el.textContent.trim(), Math.max(...rights)];
  })"""


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(env={"REDIS_URL": "", "LIVE_RELAY": "embedded",
                                 "OMTRADER_URL": simulator.url,
                                 "OMTRADER_WS_URL": simulator.ws_url},
                            staff={"ada": ("administrator", [])})
    process.start()
    yield process
    process.stop()


@pytest.fixture
def sized(browser):
    contexts = []

    def open_page(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, portal, next_path: str) -> None:
    page.goto(f"{portal.url}/login/?next={next_path}")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.fixture(scope="module")
def wide(simulator) -> int:
    """A client whose values are as wide as real ones get: large sums, long labels."""
    token = simulator.login()["access_token"]
    answer = requests.post(
        simulator.url + "/api/v1/manager/clients", headers={"Authorization": f"Bearer {token}"},
        json={"first_name": "Wide", "family_name": "Values", "type": 0, "status": 1,
              "email": "wide.values@example.test", "source_of_wealth": 0,
              "employment_status": 0, "net_worth": 1_000_000_000.00,
              "annual_income": 1_000_000.00, "annual_deposit": 250_000_000.00},
        timeout=30)
    assert answer.ok, answer.text
    return answer.json()["data"]["id"]


@pytest.mark.parametrize("width", [1280, 1920])
def test_it_never_breaks_a_word_or_number_in_the_client_cards(sized, portal, wide, width):
    page = sized(width, 1000)
    sign_in(page, portal, "/clients/")
    page.wait_for_selector("#client-table tbody tr")
    links = [f"{portal.url}/clients/{wide}/", *page.eval_on_selector_all(
        "#client-table tbody tr td:first-child a", "links => links.slice(0, 12).map(a => a.href)")]
    broken = {}
    for url in links:
        page.goto(url)
        page.wait_for_selector("dl.fields")
        if words := page.evaluate(BROKEN_WORDS):
            broken[url] = words
    assert broken == {}


def test_it_puts_rows_accounts_and_margin_levels_first_on_a_phone(sized, portal):
    page = sized(390, 844)
    sign_in(page, portal, "/clients/")
    first_row = page.wait_for_selector("#client-table tbody tr")
    assert first_row.bounding_box()["y"] < 844  # the filters leave room for the list

    page.goto(page.eval_on_selector("#client-table tbody tr td:first-child a", "a => a.href"))
    page.wait_for_selector("#client-accounts")
    accounts = page.eval_on_selector("#client-accounts", "el => el.getBoundingClientRect().top")
    cards = page.eval_on_selector(".client-sections", "el => el.getBoundingClientRect().top")
    assert accounts < cards < page.eval_on_selector("#client-audit",
                                                    "el => el.getBoundingClientRect().top")
    assert all(right <= 390 for _, right in page.evaluate(EMPTY_TEXT_RIGHT))

    page.goto(portal.url + "/live/")
    page.wait_for_selector("#live-status[data-state='live']")
    page.wait_for_selector(".live-risk tbody tr[data-account]")
    rights = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        ".live-risk thead th")].filter((th) => th.offsetParent)
        .map((th) => [th.textContent.trim(), th.getBoundingClientRect().right]))""")
    assert 0 < rights["Level"] <= 390 and 0 < rights["Status"] <= 390, rights
    assert all(right <= 390 for _, right in page.evaluate(EMPTY_TEXT_RIGHT))
