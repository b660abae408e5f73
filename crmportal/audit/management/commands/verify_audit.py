from django.core.management.base import BaseCommand, CommandError

from crmportal.audit import tally
from crmportal.audit.log import first_broken_entry
from crmportal.audit.models import AuditEntry
from crmportal.dashboard.sampler import note_check


class Command(BaseCommand):
    help = "Check the audit log's hash chain and name the first row where it breaks."

    def handle(self, *args, **options):
        tally.flush()  # the counts of finished minutes belong in the chain being checked
        broken = first_broken_entry()
        if broken is not None:
            entry, reason = broken
            message = (f"Audit chain broken at row {entry.pk} "
                       f"({entry.created_at:%Y-%m-%d %H:%M:%S}, {entry.action}): {reason}.")
            note_check("verify_audit", False, message)  # the dashboard's health panel
            raise CommandError(message)
        message = f"Audit chain intact: {AuditEntry.objects.count()} rows verified."
        note_check("verify_audit", True, message)
        self.stdout.write(message)
