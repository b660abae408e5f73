"""The instrument catalogue: realistic prices, digits, contract sizes and trading terms."""

from __future__ import annotations

from dataclasses import dataclass

FOREX, METALS, INDICES, CRYPTO, STOCKS = 1, 2, 3, 4, 5
SYMBOL_CLASSES = {
    FOREX: "Forex",
    METALS: "Metals",
    INDICES: "Indices",
    CRYPTO: "Crypto",
    STOCKS: "Stocks",
}
# ModelCalcType codes.
CALC_FOREX, CALC_CFD, CALC_CFD_LEVERAGE = 0, 2, 3


@dataclass(frozen=True)
class Instrument:
    code: str
    desc: str
    cls: int
    base: str
    quote: str
    price: float
    digits: int
    contract_size: float
    spread: int  # points
    vol: float  # relative volatility per simulated second
    calc: int
    margin_initial: float
    min_value: float
    max_value: float
    step: float
    swap_long: float  # points per lot per rollover
    swap_short: float


def _fx(code: str, price: float, digits: int, spread: int, sl: float, ss: float) -> Instrument:
    return Instrument(code, f"{code[:3]} vs {code[3:]}", FOREX, code[:3], code[3:], price, digits,
                      100_000, spread, 0.00004, CALC_FOREX, 1.0, 0.01, 100, 0.01, sl, ss)


CATALOGUE: tuple[Instrument, ...] = (
    _fx("EURUSD", 1.08500, 5, 12, -6.5, 1.2),
    _fx("GBPUSD", 1.27000, 5, 15, -4.1, -1.3),
    _fx("USDJPY", 150.200, 3, 14, 12.4, -22.8),
    _fx("USDCHF", 0.88000, 5, 16, 5.1, -11.0),
    _fx("AUDUSD", 0.66000, 5, 14, -2.9, -0.8),
    _fx("USDCAD", 1.36000, 5, 18, 0.7, -6.9),
    _fx("NZDUSD", 0.61000, 5, 20, -1.9, -1.1),
    _fx("EURGBP", 0.85500, 5, 18, -5.2, 0.6),
    _fx("EURJPY", 163.000, 3, 20, 4.5, -15.7),
    Instrument("XAUUSD", "Gold vs US Dollar", METALS, "XAU", "USD", 2350.00, 2, 100, 30, 0.00007,
               CALC_FOREX, 1.0, 0.01, 50, 0.01, -32.0, 14.0),
    Instrument("XAGUSD", "Silver vs US Dollar", METALS, "XAG", "USD", 28.500, 3, 5000, 25,
               0.0001, CALC_FOREX, 1.0, 0.01, 50, 0.01, -5.0, 1.5),
    Instrument("US30", "Dow Jones 30", INDICES, "US30", "USD", 39000.0, 1, 1, 30, 0.00006,
               CALC_CFD_LEVERAGE, 1.0, 0.1, 500, 0.1, -95.0, -30.0),
    Instrument("US500", "S&P 500", INDICES, "US500", "USD", 5200.0, 1, 1, 5, 0.00006,
               CALC_CFD_LEVERAGE, 1.0, 0.1, 500, 0.1, -14.0, -4.0),
    Instrument("NAS100", "Nasdaq 100", INDICES, "NAS100", "USD", 18000.0, 1, 1, 15, 0.00008,
               CALC_CFD_LEVERAGE, 1.0, 0.1, 500, 0.1, -45.0, -13.0),
    Instrument("GER40", "Germany 40", INDICES, "GER40", "EUR", 18200.0, 1, 1, 12, 0.00006,
               CALC_CFD_LEVERAGE, 1.0, 0.1, 500, 0.1, -40.0, -12.0),
    Instrument("UK100", "UK 100", INDICES, "UK100", "GBP", 8100.0, 1, 1, 10, 0.00005,
               CALC_CFD_LEVERAGE, 1.0, 0.1, 500, 0.1, -20.0, -6.0),
    Instrument("JP225", "Japan 225", INDICES, "JP225", "JPY", 38500.0, 0, 1, 10, 0.00007,
               CALC_CFD_LEVERAGE, 1.0, 1, 500, 1, -30.0, -10.0),
    Instrument("BTCUSD", "Bitcoin vs US Dollar", CRYPTO, "BTC", "USD", 65000.00, 2, 1, 3000,
               0.0002, CALC_CFD_LEVERAGE, 10.0, 0.01, 20, 0.01, -1800.0, -900.0),
    Instrument("ETHUSD", "Ethereum vs US Dollar", CRYPTO, "ETH", "USD", 3200.00, 2, 1, 250,
               0.00025, CALC_CFD_LEVERAGE, 10.0, 0.01, 100, 0.01, -90.0, -45.0),
    Instrument("LTCUSD", "Litecoin vs US Dollar", CRYPTO, "LTC", "USD", 80.00, 2, 1, 20,
               0.0003, CALC_CFD_LEVERAGE, 10.0, 0.1, 1000, 0.1, -2.0, -1.0),
    Instrument("XRPUSD", "Ripple vs US Dollar", CRYPTO, "XRP", "USD", 0.5200, 4, 1, 30,
               0.0003, CALC_CFD_LEVERAGE, 10.0, 100, 100_000, 100, -0.1, -0.05),
    Instrument("AAPL", "Apple Inc.", STOCKS, "AAPL", "USD", 190.00, 2, 1, 4, 0.0001, CALC_CFD,
               0.2, 1, 10_000, 1, -2.5, -1.0),
    Instrument("MSFT", "Microsoft Corp.", STOCKS, "MSFT", "USD", 420.00, 2, 1, 6, 0.0001,
               CALC_CFD, 0.2, 1, 10_000, 1, -5.0, -2.0),
    Instrument("TSLA", "Tesla Inc.", STOCKS, "TSLA", "USD", 180.00, 2, 1, 8, 0.0002, CALC_CFD,
               0.2, 1, 10_000, 1, -2.5, -1.0),
    Instrument("AMZN", "Amazon.com Inc.", STOCKS, "AMZN", "USD", 180.00, 2, 1, 5, 0.00012,
               CALC_CFD, 0.2, 1, 10_000, 1, -2.5, -1.0),
    Instrument("NVDA", "NVIDIA Corp.", STOCKS, "NVDA", "USD", 900.00, 2, 1, 20, 0.0002,
               CALC_CFD, 0.2, 1, 10_000, 1, -11.0, -4.0),
    Instrument("GOOGL", "Alphabet Inc. Class A", STOCKS, "GOOGL", "USD", 170.00, 2, 1, 5,
               0.00011, CALC_CFD, 0.2, 1, 10_000, 1, -2.2, -0.9),
)
