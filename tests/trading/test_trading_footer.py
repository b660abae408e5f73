"""The footer of a list OMTrader filters alone is a request of its own (`?part=totals`): it
spans the table, and totals kept from an earlier read are not shown under a page that read
another count, nor for open positions, whose P/L moves with every price."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from django.urls import reverse

from tests.trading.helpers import every_row


def _page_and_footer(client, url_name: str) -> tuple[int, str, int]:
    """The count the page shows, the footer it loads, and the table's width in columns."""
    page = client.get(reverse(url_name))
    html = page.content.decode()
    width = len(re.findall(r"<th[ >]", html.split("<thead>")[1].split("</thead>")[0]))
    footer = client.get(reverse(url_name) + page.context["totals_url"]).content.decode()
    return page.context["page"].paginator.count, footer, width


def _count(footer: str) -> int:
    return int(re.search(r'data-total-count="(\d+)"', footer).group(1))


def test_the_footer_spans_the_table(client, as_user):
    as_user("administrator")
    _, footer, width = _page_and_footer(client, "trading-list-deals")
    assert width > 5
    assert re.search(rf'<th scope="row">Total[^<]*</th><td colspan="{width - 1}">', footer)
    assert f'<td colspan="{width}" class="muted" data-total-count=' in footer


def test_the_footer_counts_what_the_page_counted_after_new_deals(client, as_user, paused):
    as_user("administrator")
    count, footer, _ = _page_and_footer(client, "trading-list-deals")
    assert _count(footer) == count
    for _ in range(30):  # the market trades a little with each step
        paused.step(60)
        if client.get(reverse("trading-list-deals")).context["page"].paginator.count > count:
            break
    now, footer, _ = _page_and_footer(client, "trading-list-deals")
    assert now > count
    assert _count(footer) == now


def test_the_open_positions_footer_follows_the_prices(client, as_user, paused, wire):
    as_user("administrator")
    _page_and_footer(client, "trading-list-positions")  # totals read once, as a page would
    busiest = Counter(p["symbol_id"] for p in wire("positions")).most_common(1)[0][0]
    code = next(s["symbol"] for s in wire("symbols") if s["id"] == busiest)
    paused.shock(code, 0.5)
    _, footer, _ = _page_and_footer(client, "trading-list-positions")
    shown = sum(Decimal(v.replace(",", ""))
                for v in re.findall(r'data-total="P/L">([^<]*)<', footer))
    assert shown == sum(row.profit for row in every_row(client, "trading-list-positions"))
