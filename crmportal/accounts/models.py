"""What the portal keeps about trading accounts itself: a searchable index of OMTrader's
accounts (OMTrader's account list filters by client and group only)."""

from __future__ import annotations

from django.db import models

MONEY = {"max_digits": 24, "decimal_places": 8, "null": True}


class AccountIndex(models.Model):
    """One row per trading account: the columns the list filters and sorts on, the money as
    of the last check, and a lower-cased `search_text`. Kept fresh by accounts/index.py."""

    id = models.BigIntegerField(primary_key=True)
    client_id = models.BigIntegerField(null=True, db_index=True)
    group_id = models.BigIntegerField(null=True, db_index=True)
    currency = models.CharField(max_length=16, blank=True)
    currency_digits = models.SmallIntegerField(null=True)
    leverage = models.IntegerField(null=True)
    trade_type = models.SmallIntegerField(null=True)
    liquidation_status = models.SmallIntegerField(null=True)
    username = models.CharField(max_length=200, blank=True, db_index=True)
    holder_name = models.CharField(max_length=400, blank=True)
    email = models.CharField(max_length=200, blank=True)
    client_name = models.CharField(max_length=400, blank=True)
    balance = models.DecimalField(**MONEY)
    credit = models.DecimalField(**MONEY)
    equity = models.DecimalField(**MONEY)
    margin = models.DecimalField(**MONEY)
    margin_free = models.DecimalField(**MONEY)
    margin_level = models.DecimalField(**MONEY)
    profit = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(null=True, db_index=True)
    search_text = models.TextField(blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["balance", "id"], name="account_balance"),
            models.Index(fields=["equity", "id"], name="account_equity"),
            models.Index(fields=["margin_level", "id"], name="account_margin_level"),
            models.Index(fields=["liquidation_status", "id"], name="account_liquidation"),
            models.Index(fields=["currency", "id"], name="account_currency"),
        ]

    def __str__(self) -> str:
        return f"account #{self.id}"


class AccountIndexState(models.Model):
    """A single row: when the index was last rebuilt from every page, and the upstream total
    then."""

    full_synced_at = models.DateTimeField(null=True)
    upstream_total = models.PositiveIntegerField(null=True)
    reconcile_needed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"account index state (full sync {self.full_synced_at})"

    @classmethod
    def load(cls) -> AccountIndexState:
        state, _ = cls.objects.get_or_create(pk=1)
        return state
