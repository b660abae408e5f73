"""What the portal keeps about clients itself: a searchable index of OMTrader's clients and
its own KYC review decisions. OMTrader stays the system of record for the clients."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ClientIndex(models.Model):
    """One OMTrader client as last seen: the columns lists search, filter and sort on, plus
    the whole record for exports. Kept fresh by crmportal/clients/index.py."""

    id = models.BigIntegerField(primary_key=True)
    type = models.SmallIntegerField(null=True)
    status = models.SmallIntegerField(null=True)
    kyc_status = models.SmallIntegerField(null=True)
    manager_id = models.BigIntegerField(null=True)
    preferred_group = models.BigIntegerField(null=True)
    first_name = models.CharField(max_length=200, blank=True)
    middle_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=200, blank=True)
    mobile = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=200, blank=True)
    lead_source = models.CharField(max_length=200, blank=True)
    lead_campaign = models.CharField(max_length=200, blank=True)
    expiry_date = models.DateField(null=True)
    accounts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(null=True)
    # Lower-cased names, e-mail, mobile digits and external id: what the search box matches.
    search_text = models.TextField(blank=True)
    record = models.JSONField(default=dict)
    synced_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status"], name="clients_idx_status"),
            models.Index(fields=["kyc_status", "created_at"], name="clients_idx_kyc"),
            models.Index(fields=["type"], name="clients_idx_type"),
            models.Index(fields=["manager_id"], name="clients_idx_manager"),
            models.Index(fields=["preferred_group"], name="clients_idx_group"),
            models.Index(fields=["family_name", "first_name"], name="clients_idx_name"),
            models.Index(fields=["country"], name="clients_idx_country"),
            models.Index(fields=["lead_source"], name="clients_idx_lead"),
            models.Index(fields=["lead_campaign"], name="clients_idx_campaign"),
            models.Index(fields=["expiry_date"], name="clients_idx_expiry"),
            models.Index(fields=["created_at"], name="clients_idx_created"),
            models.Index(fields=["updated_at"], name="clients_idx_updated"),
            models.Index(fields=["synced_at"], name="clients_idx_synced"),
        ]

    def __str__(self) -> str:
        return f"client {self.id} {self.name}"

    @property
    def name(self) -> str:
        return " ".join(n for n in (self.first_name, self.middle_name, self.family_name) if n)


class ClientIndexGroup(models.Model):
    """A group one of the client's trading accounts is in (for group scope and the filter)."""

    client = models.ForeignKey(ClientIndex, on_delete=models.CASCADE, related_name="groups")
    group_id = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "group_id"], name="clients_group_once")
        ]

    def __str__(self) -> str:
        return f"client {self.client_id} in group {self.group_id}"


class IndexState(models.Model):
    """A single row: when the index was last rebuilt from every page. (When it was last
    checked for changes is kept in the cache: a database write per page would serialise.)"""

    full_synced_at = models.DateTimeField(null=True)
    checked_at = models.DateTimeField(null=True)
    upstream_total = models.PositiveIntegerField(null=True)
    # Account groups arrive nested in client records (else the accounts list is walked).
    accounts_nested = models.BooleanField(default=True)
    reconcile_needed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"client index state (full sync {self.full_synced_at})"

    @classmethod
    def load(cls) -> IndexState:
        state, _ = cls.objects.get_or_create(pk=1)
        return state


class KycReview(models.Model):
    """One KYC decision taken in the portal: who, when, why, and what OMTrader made of it."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Outcome(models.TextChoices):
        OK = "ok", "Written to OMTrader"
        REJECTED = "rejected", "Refused by OMTrader"
        FAILED = "failed", "OMTrader did not answer"
        NOT_APPLIED = "not_applied", "OMTrader not reached"

    client_id = models.BigIntegerField()
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason_code = models.CharField(max_length=64, blank=True)
    reason_text = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reviewer_username = models.CharField(max_length=150)
    decided_at = models.DateTimeField()
    kyc_status_before = models.SmallIntegerField(null=True)
    kyc_status_written = models.SmallIntegerField(null=True)
    upstream_outcome = models.CharField(max_length=16, choices=Outcome.choices)
    upstream_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["client_id", "-decided_at"], name="clients_kyc_client")]

    def __str__(self) -> str:
        return f"KYC {self.decision} of client {self.client_id} by {self.reviewer_username}"

    @property
    def reason_label(self) -> str:
        return dict(settings.KYC_REJECTION_REASONS).get(self.reason_code, self.reason_code)
