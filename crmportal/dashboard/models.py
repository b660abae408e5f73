"""What the dashboard records because OMTrader cannot tell it afterwards: floating P/L per
group over the day (sampled by the relay) and when the portal's own checks last ran."""

from __future__ import annotations

from django.db import models


class ProfitSample(models.Model):
    """One group's floating P/L (USD) at one moment, taken by the live relay every
    DASHBOARD_PL_SAMPLE_SECONDS and kept DASHBOARD_PL_RETENTION_DAYS (sampler.py)."""

    taken_at = models.DateTimeField()
    group_id = models.BigIntegerField()
    profit = models.DecimalField(max_digits=20, decimal_places=2, null=True)  # None: no rate

    class Meta:
        indexes = [models.Index(fields=["taken_at", "group_id"], name="dashboard_sample_time")]

    def __str__(self) -> str:
        return f"group {self.group_id} P/L {self.profit} at {self.taken_at:%Y-%m-%d %H:%M}"


class Checkpoint(models.Model):
    """When a check of the portal last ran and what it found (e.g. `verify_audit`)."""

    name = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField()
    ok = models.BooleanField()
    detail = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name} {'ok' if self.ok else 'failed'} at {self.at:%Y-%m-%d %H:%M}"
