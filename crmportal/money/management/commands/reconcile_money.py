"""`manage.py reconcile_money`: settle money operations whose outcome is unknown, and list
what was found upstream (the scheduler, crmportal/schedule.py, does the same every few seconds)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from crmportal.money.actions import expire_requests
from crmportal.money.reconcile import reconcile_pending


class Command(BaseCommand):
    help = "Look up money operations with an unknown outcome in OMTrader's history."

    def handle(self, *args, **options):
        expired = expire_requests()
        if expired:
            self.stdout.write(f"{expired} request(s) expired.")
        findings = reconcile_pending()
        if not findings:
            self.stdout.write("Nothing to reconcile.")
        for finding in findings:
            op = finding.operation
            self.stdout.write(f"{op.reference} account {op.account_id} {op.type} {op.amount} "
                              f"{op.currency}: {finding.outcome}"
                              f"{' (' + finding.detail + ')' if finding.detail else ''}")
