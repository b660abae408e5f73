"""Reading a trading list the way a member pages through it."""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse


def every_row(client, url_name: str, query: str = "") -> list:
    """Every record the list shows for this query, page after page (200 a page)."""
    rows, number = [], 1
    while True:
        response = client.get(f"{reverse(url_name)}?{query}&size=200&page={number}")
        assert response.status_code == 200
        page = response.context["page"]
        rows += [row.item for row in page.rows]
        if not page.has_next():
            return rows
        number += 1


def footer(client, url_name: str, query: str = "") -> dict:
    """The totals footer as shown (from the page, or the request the page makes for it):
    {currency: {label: Decimal}, "count": n}."""
    response = client.get(f"{reverse(url_name)}?{query}")
    if response.context["totals_url"]:
        response = client.get(reverse(url_name) + response.context["totals_url"])
    html = response.content.decode()
    totals: dict = {"count": int(re.search(r'data-total-count="(\d+)"', html).group(1))}
    for currency, cells in re.findall(r'<tr class="totals" data-currency="(\w*)">(.*?)</tr>',
                                      html, re.S):
        totals[currency] = {label: Decimal(value.replace(",", "")) for label, value
                            in re.findall(r'data-total="([^"]+)">([^<]*)<', cells)}
    return totals


def dec(value) -> Decimal:
    return Decimal(str(value or 0))
