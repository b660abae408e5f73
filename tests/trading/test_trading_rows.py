"""A list row filled into its partial's stamp (trading/rows.py) is what the template engine
renders from the same partial, for every list and a record with tricky text."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.template.loader import get_template

from crmportal.trading import rows
from crmportal.trading.kinds import KINDS
from crmportal.trading.source import directory, symbol_codes


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_stamped_row_is_the_partial_rendered(omt, name):
    kind = KINDS[name]
    item = next(iter(getattr(omt, kind.method)(limit=1, sort_by="id", direction="DESC").items))
    item = replace(item, symbol='<b>"A&B"</b>') if hasattr(item, "symbol") else item
    accounts = directory(omt)
    row = rows.rows(kind, [item], symbol_codes(omt), accounts)[0]
    engine = get_template(f"{rows.TEMPLATE}#{kind.row}").render(
        {"r": {k: "" if v is None else v for k, v in row.values.items()}})
    assert row.html == engine
    assert "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;" in row.html
    assert f'data-account="{item.account_id}"' in row.html
