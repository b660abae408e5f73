"""Integer enum codes the simulator validates (the tables of docs/omtrader-api.md §7)."""

from __future__ import annotations

CLIENT_TYPE = range(3)
CLIENT_STATUS = range(14)
KYC_STATUS = range(2)
PREFERRED_METHOD = range(5)
DOCUMENT_TYPE = range(3)
EMPLOYMENT_STATUS = range(6)
EMPLOYMENT_INDUSTRY = range(17)
EDUCATION_LEVEL = range(6)
SOURCE_OF_WEALTH = range(4)
TRADING_EXPERIENCE = range(3)
TRADE_TYPE = range(2)
GROUP_TYPE = range(2)
MARGIN_MODE = range(2)
TRADE_LEVEL = range(5)

# Order / position / deal codes used by the market.
ORDER_MARKET, BUY_LIMIT, BUY_STOP, SELL_LIMIT, SELL_STOP = 0, 1, 2, 3, 4
PLACED, STARTED, PARTIAL, FILLED, CANCELED, REJECTED, EXPIRED = 0, 1, 2, 3, 4, 5, 6
ACTIVE_ORDER_STATUSES = (PLACED, STARTED, PARTIAL)
BUY, SELL, BALANCE, CREDIT = 0, 1, 2, 3
POS_OPEN, POS_CLOSED = 0, 2
REASON_CLIENT, REASON_DEALER, REASON_SL, REASON_TP = 0, 2, 3, 4
REASON_STOP_OUT, REASON_ROLLOVER, REASON_TRANSFER = 6, 7, 13
REASON_MOBILE, REASON_WEB = 16, 17
CHANNEL_MOBILE, CHANNEL_WEB, CHANNEL_DESKTOP, CHANNEL_API, CHANNEL_SYSTEM = 0, 1, 2, 3, 5
DIRECTION_IN, DIRECTION_OUT = 0, 1
# Deal `entry` is not documented: MT5-style 0 = IN, 1 = OUT.
ENTRY_IN, ENTRY_OUT = 0, 1
GTC, SPECIFIED_TIME = 0, 2
HEALTHY, MARGIN_CALL, STOP_OUT = 0, 1, 2

# Commission tier `type` codes are not documented: the simulator's choice.
TIER_PER_LOT, TIER_PER_TRADE, TIER_PERCENT = 0, 1, 2
TIER_TYPES = range(3)
# Commission `mode_entry`: 0 charged on entry and exit, 1 entry only, 2 exit only.
CHARGE_BOTH, CHARGE_ENTRY, CHARGE_EXIT = 0, 1, 2
# Commission `mode_action`: 0 buy and sell, 1 buy only, 2 sell only.
ACTION_BOTH, ACTION_BUY, ACTION_SELL = 0, 1, 2
