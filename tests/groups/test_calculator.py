"""Tier wording and the commission calculator against hand-computed cases, and the calculator
on the commission page."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from crmportal.groups.tiers import PER_LOT, PER_TRADE, PERCENT, describe, fee
from crmportal.omtrader.entities import CommissionTier


def tier(type_, value, low=0, high=0, minimum=0, maximum=0, currency="USD"):
    return CommissionTier(type=type_, value=D(str(value)), range_from=D(str(low)),
                          range_to=D(str(high)), min=D(str(minimum)), max=D(str(maximum)),
                          currency=currency)


PRO_FX = [tier(PER_LOT, 3.5, 0, 10), tier(PER_LOT, 2.5, 10, 0)]


def test_a_tier_reads_as_a_sentence():
    assert describe(tier(PER_LOT, "0.10", 0, 10000, 1, 100)) == \
        "0.10 USD per lot for 0–10,000 lots, min 1, max 100"
    assert describe(tier(PER_TRADE, 1)) == "1 USD per trade from 0 lots up"
    assert describe(tier(PERCENT, "0.02", minimum=1)) == "0.02 % of notional from 0 lots up, min 1"
    assert describe(tier(PER_LOT, 3, currency=""), "EUR") == "3 EUR per lot from 0 lots up"
    assert "code 7" in describe(tier(7, 1))


@pytest.mark.parametrize("volume,index,amount", [
    ("4", 0, "14.00"),      # 4 lots x 3.50
    ("0", 0, "0.00"),       # from is inclusive
    ("9.99", 0, "34.97"),   # 9.99 x 3.50 = 34.965, rounded half up
    ("10", 1, "25.00"),     # to is exclusive: 10 lots fall in the second tier, 10 x 2.50
    ("1000", 1, "2500.00"),  # no upper bound
])
def test_per_lot_tiers_pick_the_range_and_multiply(volume, index, amount):
    result = fee(PRO_FX, D(volume))
    assert (result.index, result.amount, result.clamped) == (index, D(amount), "")


def test_min_and_max_cap_the_fee():
    stocks = [tier(PERCENT, "0.02", minimum=1)]
    assert fee(stocks, D(1), D(2000)).amount == D("1.00")  # 0.02 % of 2,000 = 0.40 -> min 1
    assert fee(stocks, D(1), D(2000)).clamped == "min"
    assert fee(stocks, D(1), D(2000)).raw == D("0.40")
    assert fee(stocks, D(5), D(10000)).amount == D("2.00")  # 0.02 % of 10,000
    islamic = [tier(PER_LOT, 5, maximum=250)]
    assert fee(islamic, D(60)).amount == D("250.00")  # 300 -> max 250
    assert fee(islamic, D(20)).amount == D("100.00")
    assert fee([tier(PER_TRADE, 1)], D(37)).amount == D("1.00")


def test_a_volume_outside_every_tier_is_charged_nothing_and_percent_needs_the_notional():
    assert fee([tier(PER_LOT, 1, 0, 10)], D(10)) is None
    with pytest.raises(ValueError, match="notional"):
        fee([tier(PERCENT, 1)], D(1))


def test_the_commission_page_works_it_out(as_user, client):
    as_user("supervisor")
    url = reverse("groups-show-commission", args=[7, 3])  # seed: "Pro FX per lot"
    page = client.get(url, {"volume": "12"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Tier 2 applies" in text and "30.00 USD" in text  # 12 x 2.50
    partial = client.get(url, {"volume": "abc"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Enter a number." in partial and "<html" not in partial
    assert "3.50 USD per lot for 0–10 lots" in client.get(url).content.decode()
