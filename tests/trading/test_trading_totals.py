"""The footer totals of an exact list read raw pages in parallel and only the summed fields
(source.totals_of): they must equal the totals of the full parse (source.scan) of the same
filtered set, per currency, with the group scope, dates and several batches of pages."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from crmportal.staff.roles import BACK_OFFICE
from crmportal.trading import source
from crmportal.trading.filters import parse
from crmportal.trading.kinds import KINDS


@pytest.mark.parametrize("name,query,role", [
    ("deals", "", "administrator"),  # every deal: more pages than one parallel batch
    ("deals", "group=6&from=2026-01-01&to=2026-11-30", "administrator"),
    ("positions", "", "limited"),
    ("position-history", "symbol=EURUSD", "administrator"),
    ("orders", "", "administrator"),
    ("order-history", "group=6", "administrator"),
])
def test_the_raw_totals_equal_the_parsed_totals(omt, request, name, query, role, monkeypatch):
    user = (request.getfixturevalue("make_staff")("lim", BACK_OFFICE, [6]) if role == "limited"
            else request.getfixturevalue(role))
    kind = KINDS[name]
    codes = {s.symbol.upper(): sid for sid, s in omt.symbols_by_id().items()}
    criteria = parse(QueryDict(query), kind, codes)
    accounts = source.directory(omt)
    plan = source.plan(user, criteria, accounts)
    assert plan.exact
    parsed = source.scan(omt, criteria, plan, accounts, 0, 0).totals
    source.cache.delete(plan.key(criteria))
    monkeypatch.setattr(source, "PARALLEL_PAGES", 3)  # several batches of the seeded deals
    pages = []
    original = omt.trading_records
    monkeypatch.setattr(omt, "trading_records",
                        lambda *a, **k: pages.append(k["page"]) or original(*a, **k))
    raw = source.totals_of(omt, criteria, plan, accounts)
    assert raw.count == parsed.count and raw.by_currency == parsed.by_currency
    assert raw.count > 0
    assert sorted(pages) == list(range(1, len(pages) + 1))
    if name == "deals" and not query:
        assert len(pages) > 3 + 1
