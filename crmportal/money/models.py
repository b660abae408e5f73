"""What the portal keeps of money operations: each one an intent stored before anything is
sent to OMTrader, with a unique reference that travels upstream inside the comment, so that a
lost reply can be settled by finding the reference in the account's transaction history
(docs/money.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MoneyOperation(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", "Waiting for approval"
        APPROVED = "approved", "Approved, being sent"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        SENT = "sent", "Sent, no answer yet"
        CONFIRMED = "confirmed", "Confirmed"
        UNKNOWN = "unknown", "Outcome unknown"
        RECONCILED = "reconciled", "Reconciled"
        REFUSED = "refused", "Refused by OMTrader"
        NOT_SENT = "not_sent", "Not sent"

    class Type(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        CREDIT_IN = "credit_in", "Credit in"
        CREDIT_OUT = "credit_out", "Credit out"

    reference = models.CharField(max_length=20, unique=True)
    # The confirm page's one-time token: a second submission of the same page fails here.
    token = models.CharField(max_length=64, unique=True)
    account_id = models.BigIntegerField()
    client_id = models.BigIntegerField(null=True)
    group_id = models.BigIntegerField(null=True)
    currency = models.CharField(max_length=10, blank=True)
    digits = models.PositiveSmallIntegerField(default=2)
    type = models.CharField(max_length=12, choices=Type.choices)
    amount = models.DecimalField(max_digits=24, decimal_places=8)
    comment = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=12, choices=State.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_by_username = models.CharField(max_length=150)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_by_username = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # the last time it was sent
    attempts = models.PositiveSmallIntegerField(default=0)
    unknown_since = models.DateTimeField(null=True, blank=True)
    # Never sent again before this: the last attempt has ended (or cannot still be under way)
    # and the settle time has passed (crmportal/money/reconcile.py).
    resend_after = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    transaction_id = models.BigIntegerField(null=True, blank=True)
    balance_after = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)  # what OMTrader said last

    class Meta:
        indexes = [
            models.Index(fields=["state", "created_at"], name="money_idx_state"),
            models.Index(fields=["account_id", "created_at"], name="money_idx_account"),
            models.Index(fields=["created_at"], name="money_idx_created"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.type} {self.amount} on account {self.account_id}"

    @property
    def upstream_comment(self) -> str:
        """The comment OMTrader stores: the member's text and the reference in brackets."""
        return f"{self.comment} [{self.reference}]".strip()

    @property
    def is_credit(self) -> bool:
        return self.type.startswith("credit")
