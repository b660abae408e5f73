from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One write made through the portal, or one security event. Rows are never changed."""

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        REJECTED = "rejected", "Rejected upstream"
        FAILED = "failed", "Failed"  # the outcome is unknown: it may have been applied
        NOT_APPLIED = "not_applied", "Not applied"
        DENIED = "denied", "Denied"

    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept as text too, so the row (and its hash) survives the user being deleted.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    entity_type = models.CharField(max_length=32, blank=True, db_index=True)
    entity_id = models.CharField(max_length=64, blank=True, db_index=True)
    # The OMTrader group the entry is about (an account's, a money operation's, a group's own),
    # so the audit page can show it by group scope; empty for staff, sign-in and system entries.
    group_id = models.IntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OK)
    detail = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["entity_type", "entity_id", "-id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"


class AuditChainHead(models.Model):
    """A single row holding the newest hash; locking it serializes writers of the chain."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain head {self.last_hash[:12]}"


class AuditTally(models.Model):
    """How often one repeated security event came from one source in one minute
    (crmportal/audit/tally.py): the audit log gets the first at once and the rest as one entry."""

    kind = models.CharField(max_length=64)
    source = models.CharField(max_length=150)  # a client address, or "member <id>"
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    reported = models.PositiveIntegerField(default=0)  # how many of `count` the log holds
    # What the summary entry of the minute says and about whom.
    what = models.CharField(max_length=64)
    action = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_username = models.CharField(max_length=150, blank=True)
    entity_type = models.CharField(max_length=32, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "source", "minute"], name="audit_tally_once")
        ]
        indexes = [models.Index(fields=["minute"])]

    def __str__(self) -> str:
        return f"{self.kind} from {self.source} at {self.minute:%H:%M}: {self.count}"
