"""What the live relay hands the dashboard: floating P/L per group every minute (the chart
over the day needs history OMTrader does not keep) and its own status (the health panel).
The relay reports both (crmportal/live/reports.py); apps.py connects them here."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from crmportal.dashboard.models import Checkpoint, ProfitSample

RELAY_KEY = "dashboard:relay"
RELAY_SILENT = 15.0  # seconds without a heartbeat: no relay is running


def record_pl(figures: dict[int, Decimal | None], now: datetime | None = None) -> int:
    """One row per group, and the rows past the retention dropped; returns rows written."""
    now = now or timezone.now()
    ProfitSample.objects.bulk_create(
        ProfitSample(taken_at=now, group_id=group_id,
                     profit=None if profit is None else round(profit, 2))
        for group_id, profit in figures.items())
    cutoff = now - timedelta(days=settings.DASHBOARD_PL_RETENTION_DAYS)
    ProfitSample.objects.filter(taken_at__lt=cutoff).delete()
    return len(figures)


def note_relay(status) -> None:
    """The relay's status as of now (its heartbeat, every few seconds)."""
    cache.set(RELAY_KEY, {"state": status.state, "since": status.since, "reason": status.reason,
                          "at": timezone.now()}, None)


def relay_status() -> dict | None:
    """The relay's last word, with `silent` when it is older than RELAY_SILENT."""
    noted = cache.get(RELAY_KEY)
    if noted is None:
        return None
    age = (timezone.now() - noted["at"]).total_seconds()
    return {**noted, "silent": age > RELAY_SILENT}


def note_check(name: str, ok: bool, detail: str = "") -> None:
    """A check of the portal ran (e.g. verify_audit): the health panel says when."""
    Checkpoint.objects.update_or_create(
        name=name, defaults={"at": timezone.now(), "ok": ok, "detail": detail[:2000]})


def on_profit_sampled(sender, figures: dict[int, Decimal | None], **kwargs) -> None:
    record_pl(figures)


def on_status_noted(sender, status, **kwargs) -> None:
    note_relay(status)
