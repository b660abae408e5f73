"""Rebuild the account index from every page of OMTrader's accounts (schedule it nightly)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from crmportal.accounts import index
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.errors import OMTraderError


class Command(BaseCommand):
    help = ("Rebuild the portal's account index from OMTrader: new, changed and deleted "
            "trading accounts and their money as of now.")

    def handle(self, *args, **options):
        started = time.monotonic()

        def progress(done: int, total: int | None) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done} of {total if total is not None else '?'} accounts")

        try:
            count = index.rebuild(get_omtrader(), progress=progress)
        except OMTraderError as error:
            raise CommandError(f"OMTrader did not answer: {error.message}") from error
        self.stdout.write(self.style.SUCCESS(
            f"Indexed {count} accounts in {time.monotonic() - started:.1f} s."))
