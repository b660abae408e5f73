"""The relay's fragments: the stamped position row is exactly what the partial renders."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from crmportal.live import render
from crmportal.live.state import BoardState, LivePosition
from crmportal.omtrader.entities import Group, Position, Symbol
from crmportal.omtrader.stream import Tick

HOSTILE = "<b>Pro & \"VIP\" 'Asia'</b> {0} {r.id}"


def board(group_name: str = "Retail EUR") -> BoardState:
    state = BoardState()
    state.set_reference(
        [Group(id=6, desc=group_name)],
        [Symbol(id=1, symbol="EURUSD", base_currency="EUR", quote_currency="USD")],
    )
    return state


def row(**changes) -> LivePosition:
    values = {"id": 41, "account_id": 7, "symbol_id": 1, "volume_current": Decimal("0.25"),
              "price_open": Decimal("1.08210"), "price_current": Decimal("1.08344"),
              "digits_currency": 2}
    values.update(changes)
    position = Position.from_wire(values)
    return LivePosition(position, 6, 3, Decimal("-12.50"), Decimal("-13.10"))


def by_the_template(state: BoardState, live: LivePosition) -> str:
    """The row through Django's template engine, field by field as the relay fills it."""
    position = live.position
    buy = position.side is None or position.side.code == 0
    return render.render("position-row", {"r": {
        "id": position.id, "account_id": position.account_id,
        "group": state.group_name(live.group_id), "group_id": live.group_id,
        "symbol": state.symbol_code(position),
        "side": position.side.label if position.side else "",
        "side_badge": "ok" if buy else "danger", "volume": position.volume_current,
        "price_open": position.price_open, "price": state.price_of(live),
        "profit": live.profit, "pl_class": "neg", "total_profit": live.total_profit,
        "total_class": "neg",
    }})


@pytest.mark.parametrize("side", [0, 1])
def test_a_stamped_row_is_what_the_partial_renders(side):
    state, live = board(), row(side=side)
    assert render.position_row(state, live) == by_the_template(state, live)


def test_a_row_rendered_again_fills_in_what_moved_and_what_did_not():
    state, live, steady = board(), row(), {}
    assert render.position_row(state, live, steady) == by_the_template(state, live)
    live.profit, live.total_profit = Decimal("3.75"), Decimal("3.15")
    state.quotes[1] = Tick(1, *[Decimal("1.08400")] * 2, *[Decimal(1)] * 4)
    html = render.position_row(state, live, steady)
    assert html == by_the_template(state, live).replace('"num neg"', '"num pos"')
    assert "1.08400" in html and ">3.75<" in html
    live.position = replace(live.position, volume_current=Decimal("0.10"))
    live.group_id = 7  # moved to a group the board does not know by name
    html = render.position_row(state, live, steady)
    assert html == by_the_template(state, live).replace('"num neg"', '"num pos"')
    assert "Group 7" in html and ">0.10<" in html


def test_a_row_s_moving_cells_are_the_row_s_own_cells():
    state, live = board(), row()
    cells = render.position_cells(state, live)
    assert cells == render.render("position-cells", {"r": {
        "id": 41, "price": state.price_of(live), "profit": live.profit, "pl_class": "neg",
        "total_profit": live.total_profit, "total_class": "neg"}})
    assert cells.startswith('<td id="pos-41-price" class="num">1.08344</td>')
    assert render.position_row(state, live).endswith(cells + "</tr>")
    assert render.kind_of("cells-41") == render.TABLE_CELL != render.kind_of("pos-41")


def test_a_stamped_row_escapes_what_the_template_would_escape():
    state, live = board(HOSTILE), row()
    html = render.position_row(state, live, {})
    assert html == by_the_template(state, live)
    assert "<b>" not in html and "&lt;b&gt;Pro &amp; &quot;VIP&quot; &#x27;Asia&#x27;" in html
    assert "{0} {r.id}" in html  # braces in values are text, not format fields


def test_a_stamped_row_goes_into_a_table_body_as_markup():
    state, live = board(), row()
    body = render.positions_body([render.position_row(state, live)])
    assert body == f'<tbody id="live-positions">{by_the_template(state, live)}</tbody>'


def test_a_partial_that_does_more_than_show_its_values_is_not_stamped():
    with pytest.raises(ValueError, match="plain value"):
        render.stamp("position-row", ("id", "no_such_field"))
