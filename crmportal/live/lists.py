"""The relay's part for the trading lists (/trading/positions/, /trading/orders/): each
position or pending order that an event opened, changed or ended is rendered once with the
list's own row partial (crmportal/trading/rows.py, the partial the page renders) and goes to
the list's channel groups of every group and of its account's group (publish.list_audience).

Only structural changes travel (open, SL/TP, volume, swaps, close; an order placed, changed,
filled, cancelled): P/L and prices move tick by tick on the board, not in these tables. The
page decides what a pushed row does there (static/js/live.js: rows matched on the page's
filters, or counted in a "changes: refresh" notice). No snapshot: the page's rows are read
over REST, the socket only adds what changes after.
"""

from __future__ import annotations

from itertools import chain, islice

from crmportal.live.publish import list_audience
from crmportal.live.state import BoardState

LIST_BUDGET = 200  # rows rendered per flush at most; the rest wait for the next


class Listing:
    """A part of Relay (see relay.py for the state)."""

    state: BoardState
    lists_watched: dict[str, float]

    def _render_lists(self, add) -> None:
        from crmportal.trading.kinds import ORDERS, POSITIONS
        from crmportal.trading.rows import render_gone, render_row

        state = self.state
        if not self.lists_watched:
            state.list_changed.clear()  # nobody looks: the next page reads them over REST
            state.list_gone.clear()
            return
        kinds = {"positions": POSITIONS, "orders": ORDERS}
        codes = {sid: symbol.symbol for sid, symbol in state.symbols.items()}
        work = list(islice(chain(((key, record, True) for key, record in state.list_gone.items()),
                                 ((key, record, False)
                                  for key, record in state.list_changed.items())), LIST_BUDGET))
        for (name, record_id), record, gone in work:
            (state.list_gone if gone else state.list_changed).pop((name, record_id), None)
            group_id = state.account_group.get(record.account_id)
            if name not in self.lists_watched or group_id is None:
                continue
            kind = kinds[name]
            html = (render_gone(kind, record, state.accounts) if gone
                    else render_row(kind, record, codes, state.accounts))
            add((list_audience(name, None), list_audience(name, group_id)),
                f"list-{name}-{record_id}", html)
