import getpass
import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crmportal.staff.members import create_staff
from crmportal.staff.roles import ROLE_SLUGS, role_for_slug


def _group_ids(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--groups takes comma-separated group ids, not {raw!r}") from None


def _check_password(password: str, username: str, email: str) -> None:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS), the member's name included."""
    user = get_user_model()(username=username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        problems = "\n".join(f"  - {message}" for message in error.messages)
        raise CommandError(f"the password was refused:\n{problems}") from None


class Command(BaseCommand):
    help = "Create (or update) a staff member with a role and an optional group scope."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(ROLE_SLUGS))
        parser.add_argument(
            "--groups", default="", help="OMTrader group ids the member may see, e.g. 1,2"
        )
        parser.add_argument(
            "--all-groups", action="store_true",
            help="the member sees every OMTrader group (without it and --groups: none)",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--time-zone", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args, **options):
        try:
            role = role_for_slug(options["role"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        group_ids = _group_ids(options["groups"])
        if group_ids and options["all_groups"]:
            raise CommandError("give either --groups or --all-groups, not both")
        password, generated = self._password(options["password_stdin"])
        if not generated:
            _check_password(password, options["username"], options["email"])
        user = create_staff(
            options["username"],
            role,
            password,
            group_ids=group_ids,
            all_groups=options["all_groups"],
            email=options["email"],
            time_zone=options["time_zone"],
        )
        self.stdout.write(f"Staff member {user.username} has the role {role}.")
        if not group_ids and not options["all_groups"]:
            self.stdout.write("They see no OMTrader group yet: give --groups or --all-groups.")
        if generated:
            self.stdout.write(f"Generated password: {password}")

    @staticmethod
    def _password(from_stdin: bool) -> tuple[str, bool]:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("no password on standard input")
            return password, False
        if sys.stdin.isatty():
            return getpass.getpass("Password: "), False
        return secrets.token_urlsafe(12), True
