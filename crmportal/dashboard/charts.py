"""The dashboard's charts: server-rendered SVG (readable without JavaScript), the same numbers
as a table for screen readers, and as CSV.

A chart is one function returning its `ChartData` and a registry entry (`@chart(...)`); the
drawing, the table and the CSV come from the data, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from crmportal.clients import index
from crmportal.clients.models import KycReview
from crmportal.dashboard.models import ProfitSample
from crmportal.dashboard.panels import BACK_OFFICE, COMPLIANCE, MONEY, SUPERVISOR
from crmportal.money import history
from crmportal.money.models import MoneyOperation
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.errors import OMTraderError
from crmportal.staff.scope import group_scope

MONEY_TYPES = (MoneyOperation.Type.DEPOSIT, MoneyOperation.Type.WITHDRAWAL)
WEEKS = 12
DAYS = 30
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 480, 180, 44, 22, 8


@dataclass(frozen=True)
class Series:
    name: str
    values: list  # numbers or None (unknown), one per x
    drawn: bool = True  # False: in the table and the CSV only (e.g. a median beside counts)


@dataclass(frozen=True)
class ChartData:
    x_label: str
    x: list[str]
    series: list[Series]
    unit: str = ""

    def header(self) -> list[str]:
        return [self.x_label, *(s.name for s in self.series)]

    def rows(self) -> list[list]:
        return [[x, *(s.values[i] for s in self.series)] for i, x in enumerate(self.x)]


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    permission: str
    data: Callable[[HttpRequest], ChartData]
    kind: str = "bars"  # bars or lines
    note: str = ""

    def allowed(self, user) -> bool:
        return user.has_perm(self.permission)


CHARTS: dict[str, Chart] = {}


def chart(name: str, title: str, permission: str, kind: str = "bars", note: str = ""):
    def register(data: Callable[[HttpRequest], ChartData]):
        CHARTS[name] = Chart(name, title, permission, data, kind, note)
        return data
    return register


def charts_for(user) -> list[Chart]:
    return [c for c in CHARTS.values() if c.allowed(user)]


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


# -- the charts --------------------------------------------------------------------------------

@chart("new-clients", "New clients per week", BACK_OFFICE)
def new_clients_per_week(request: HttpRequest) -> ChartData:
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    start = timezone.make_aware(datetime.combine(weeks[0], datetime.min.time()))
    counts: dict[date, int] = defaultdict(int)
    created = (index.visible_to(request.user).filter(created_at__gte=start)
               .values_list("created_at", flat=True))
    for moment in created.iterator(chunk_size=2000):
        day = _local_day(moment)
        counts[day - timedelta(days=day.weekday())] += 1
    return ChartData("Week of", [w.isoformat() for w in weeks],
                     [Series("New clients", [counts[w] for w in weeks])])


@chart("kyc-decisions", "KYC decisions per day", COMPLIANCE,
       note="Time to decision: from the client's creation to the decision, in hours.")
def kyc_decisions_per_day(request: HttpRequest) -> ChartData:
    days = _days(DAYS)
    start = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    visible = index.visible_to(request.user)
    decisions = KycReview.objects.filter(upstream_outcome=KycReview.Outcome.OK,
                                         decided_at__gte=start,
                                         client_id__in=visible.values("id"))
    decided = list(decisions.values_list("client_id", "decision", "decided_at"))
    created = dict(visible.filter(id__in={c for c, _, _ in decided})
                   .values_list("id", "created_at"))
    approved, rejected = defaultdict(int), defaultdict(int)
    waits: dict[date, list[float]] = defaultdict(list)
    for client_id, decision, at in decided:
        day = _local_day(at)
        (approved if decision == KycReview.Decision.APPROVED else rejected)[day] += 1
        if created.get(client_id):
            waits[day].append((at - created[client_id]).total_seconds() / 3600)
    return ChartData("Day", [d.isoformat() for d in days], [
        Series("Approved", [approved[d] for d in days]),
        Series("Rejected", [rejected[d] for d in days]),
        Series("Median hours to decision",
               [round(median(waits[d]), 1) if waits[d] else None for d in days], drawn=False),
    ])


@chart("money-per-day", "Deposits and withdrawals per day", MONEY,
       note="Counts the deposits and withdrawals made through the portal that OMTrader "
            "confirmed (or reconciliation found), by the day they were confirmed, on accounts "
            "in your groups; the portal's own records (OMTrader lists transactions one account "
            "at a time). Money moved in OMTrader directly and credit are not counted. Amounts "
            "per currency are in the table and the CSV.")
def money_per_day(request: HttpRequest) -> ChartData:
    days = _days(DAYS)
    start = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    done = (history.visible_operations(request.user)
            .filter(state__in=(MoneyOperation.State.CONFIRMED, MoneyOperation.State.RECONCILED),
                    type__in=(MoneyOperation.Type.DEPOSIT, MoneyOperation.Type.WITHDRAWAL),
                    resolved_at__gte=start)
            .values_list("type", "currency", "digits", "amount", "resolved_at"))
    counts: dict[str, dict[date, int]] = {t: defaultdict(int) for t in MONEY_TYPES}
    sums: dict[tuple[str, str], dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    units: dict[str, Decimal] = {}
    for kind, currency, digits, amount, at in done:
        day = _local_day(at)
        counts[kind][day] += 1
        sums[kind, currency][day] += amount
        units[currency] = min(units.get(currency, Decimal(1)), Decimal(1).scaleb(-digits))
    label = dict(MoneyOperation.Type.choices)
    return ChartData("Day", [d.isoformat() for d in days], [
        *(Series(f"{label[t]}s", [counts[t][d] for d in days]) for t in MONEY_TYPES),
        *(Series(f"{label[t]}s {c}".strip(),
                 [sums[t, c][d].quantize(units[c]) for d in days], drawn=False)
          for t, c in sorted(sums, key=lambda k: (k[1], MONEY_TYPES.index(k[0]))))])


@chart("pl-per-group", "Floating P/L per group today (USD)", SUPERVISOR, kind="lines",
       note="Recorded by the portal: the live relay samples each group's floating P/L every "
            "minute (OMTrader keeps no history of it); samples are kept "
            "{retention} days. Gaps: no relay was running.")
def pl_per_group_today(request: HttpRequest) -> ChartData:
    limit = group_scope(request.user).limit
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    samples = ProfitSample.objects.filter(taken_at__gte=midnight).order_by("taken_at", "group_id")
    if limit is not None:
        samples = samples.filter(group_id__in=limit)
    times: dict[datetime, dict[int, Decimal | None]] = {}
    for sample in samples:
        times.setdefault(sample.taken_at, {})[sample.group_id] = sample.profit
    groups = sorted({g for values in times.values() for g in values})
    names = _group_names()
    return ChartData(
        "Time", [timezone.localtime(t).strftime("%H:%M") for t in times],
        [Series(names.get(g, f"Group {g}"), [times[t].get(g) for t in times]) for g in groups],
        unit="USD")


def _days(count: int) -> list[date]:
    today = timezone.localdate()
    return [today - timedelta(days=n) for n in range(count - 1, -1, -1)]


def _group_names() -> dict[int, str]:
    try:
        return {g.id: g.name for g in get_omtrader().groups_cached()}
    except OMTraderError:
        return {}


def note_of(item: Chart) -> str:
    return item.note.format(retention=settings.DASHBOARD_PL_RETENTION_DAYS)


# -- drawing -----------------------------------------------------------------------------------

def _number(value) -> float:
    return float(value) if value is not None else 0.0


def _at(coordinate: float) -> str:
    """A coordinate as SVG wants it, written here rather than localized by the template (a
    locale with a decimal comma would break the drawing)."""
    return f"{coordinate:.1f}"


def svg(data: ChartData, kind: str) -> dict:
    """Coordinates for the chart partial: bars side by side per x, or one line per series."""
    drawn = [s for s in data.series if s.drawn]
    values = [_number(v) for s in drawn for v in s.values if v is not None]
    top = max([*values, 0.0])
    bottom = min([*values, 0.0])
    span = (top - bottom) or 1.0
    plot_w, plot_h = WIDTH - PAD_LEFT - 4, HEIGHT - PAD_BOTTOM - PAD_TOP

    def y_of(value: float) -> float:
        return round(PAD_TOP + (top - value) / span * plot_h, 1)

    slot = plot_w / max(len(data.x), 1)
    shapes, lines = [], []
    if kind == "bars":
        bar = max(slot / max(len(drawn), 1) - 1, 1)
        for i, x in enumerate(data.x):
            for k, series in enumerate(drawn):
                value = _number(series.values[i])
                y0, y1 = sorted((y_of(value), y_of(0.0)))
                shapes.append({"x": _at(PAD_LEFT + i * slot + k * bar), "y": _at(y0),
                               "w": _at(bar), "h": _at(max(y1 - y0, 0.5)),
                               "cls": f"series-{k}", "title": f"{x} · {series.name}: {value:g}"})
    else:
        for k, series in enumerate(drawn):
            points = " ".join(f"{round(PAD_LEFT + (i + 0.5) * slot, 1)},{y_of(_number(v))}"
                              for i, v in enumerate(series.values) if v is not None)
            lines.append({"points": points, "cls": f"series-{k}", "name": series.name})
    every = max(len(data.x) // 6, 1)
    ticks = [{"x": _at(PAD_LEFT + (i + 0.5) * slot), "label": x}
             for i, x in enumerate(data.x) if i % every == 0]
    return {"width": WIDTH, "height": HEIGHT, "shapes": shapes, "lines": lines, "ticks": ticks,
            "left": PAD_LEFT, "zero_y": _at(y_of(0.0)), "right": WIDTH - 4,
            "top_label": f"{top:,.0f}", "bottom_label": f"{bottom:,.0f}",
            "top_y": PAD_TOP + 8, "bottom_y": HEIGHT - PAD_BOTTOM, "tick_y": HEIGHT - 6,
            "legend": [{"name": s.name, "cls": f"series-{k}"} for k, s in enumerate(drawn)]}
