from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crmportal.env import env_str
from crmportal.staff.members import create_staff
from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE, COMPLIANCE, SUPERVISOR

DEMO_USERS = [
    ("backoffice", BACK_OFFICE),
    ("compliance", COMPLIANCE),
    ("supervisor", SUPERVISOR),
    ("admin", ADMINISTRATOR),
]


class Command(BaseCommand):
    help = "Create one demo staff member per role and print their logins (for make run)."

    def handle(self, *args, **options):
        # The demo logins are published: they exist only where the demo was asked for.
        if not settings.DEMO_STAFF:
            raise CommandError(
                "demostaff creates staff with a published password; it runs only with "
                "DEMO_STAFF=true (make run sets it). Use createstaff for real staff."
            )
        password = env_str("DEMO_PASSWORD", "demo-pass-2026")
        self.stdout.write(f"Demo staff logins (password for all: {password}):")
        for username, role in DEMO_USERS:
            create_staff(username, role, password, all_groups=True)
            self.stdout.write(f"  {username:<11} {role}")
