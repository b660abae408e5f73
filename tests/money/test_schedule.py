"""The relay's scheduler: the reconciliation job settles unknown operations and expires
requests; the index syncs are due once a night."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from crmportal import schedule
from crmportal.accounts.models import AccountIndex
from crmportal.clients.models import ClientIndex
from crmportal.money import history
from crmportal.money.actions import do_submit_operation
from crmportal.money.models import MoneyOperation
from tests.money.conftest import MONEY_PATH, history_count, submit


def test_reconcile_job_settles_unknown_and_expires_requests(as_user, client, omt, knobs,
                                                            pick_account, backoffice):
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, kind="after_status", status=500)
    unknown = submit(client, account.id, amount="2")
    waiting = submit(client, account.id, type="credit_in", amount="2")
    MoneyOperation.objects.filter(pk=waiting.pk).update(expires_at=timezone.now())
    assert history.unknown_count(backoffice) == 1
    schedule._reconcile()
    unknown.refresh_from_db()
    waiting.refresh_from_db()
    assert unknown.state == MoneyOperation.State.RECONCILED
    assert waiting.state == MoneyOperation.State.EXPIRED
    assert history_count(omt, account.id, unknown.reference) == 1
    assert history.unknown_count(backoffice) == 0


def test_sync_clients_is_due_once_a_night(settings, monkeypatch):
    settings.SYNC_CLIENTS_AT = "02:30"
    monkeypatch.setitem(schedule._state, "synced_on", None)
    zone = timezone.get_current_timezone()
    morning = datetime(2026, 12, 1, 9, 0, tzinfo=zone)
    assert not schedule._sync_due(morning)  # started after tonight's time: not at once
    night = morning + timedelta(days=1) - timedelta(hours=6, minutes=30)  # 02:30 next day
    assert not schedule._sync_due(night - timedelta(minutes=1))
    assert schedule._sync_due(night)
    schedule._state["synced_on"] = night.date()
    assert not schedule._sync_due(night + timedelta(hours=1))


def test_the_nightly_job_rebuilds_the_client_and_the_account_index(omt):
    ClientIndex.objects.all().delete()
    AccountIndex.objects.all().delete()
    schedule._sync_indexes()
    assert ClientIndex.objects.count() == omt.list_clients(limit=1).total
    assert AccountIndex.objects.count() == omt.list_accounts(limit=1).total


def test_sync_clients_runs_the_same_night_when_started_before_its_time(settings, monkeypatch):
    settings.SYNC_CLIENTS_AT = "02:30"
    monkeypatch.setitem(schedule._state, "synced_on", None)
    zone = timezone.get_current_timezone()
    started = datetime(2026, 12, 1, 1, 0, tzinfo=zone)
    assert not schedule._sync_due(started)
    assert schedule._sync_due(started + timedelta(minutes=90))  # 02:30 that night


def test_reconcile_job_settles_an_operation_stored_but_never_sent(omt, pick_account,
                                                                  backoffice):
    """Alone: no other operation is unknown or sent."""
    account = pick_account()
    op = do_submit_operation(account, omt.get_client(account.client_id), "credit_in",
                             Decimal("1"), "", "t-alone", actor=backoffice)
    MoneyOperation.objects.filter(pk=op.pk).update(
        state=MoneyOperation.State.APPROVED, decided_at=timezone.now() - timedelta(minutes=5))
    schedule._reconcile()
    op.refresh_from_db()
    assert op.state == MoneyOperation.State.NOT_SENT
