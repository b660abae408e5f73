"""Lost replies: each fault leaves the operation unknown (never "failed"), reconciliation
settles it, and OMTrader ends with exactly one transaction carrying its reference."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crmportal.audit.models import AuditEntry
from crmportal.money.models import MoneyOperation
from crmportal.money.reconcile import HISTORY_PAGE, reconcile_pending
from tests.money.conftest import MONEY_PATH, history_count, submit

State = MoneyOperation.State
HISTORY_PATH = "/api/v1/manager/accounts/{id}/transactions/history"



@pytest.mark.parametrize("fault", [
    {"kind": "after_status", "status": 502},
    {"kind": "after_close"},
    {"kind": "after_hang", "seconds": 3},
    {"kind": "status", "status": 503},  # refused before it was carried out: found absent
])
def test_each_lost_reply_ends_in_exactly_one_transaction(fault, as_user, client, omt, knobs,
                                                          pick_account):
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, **fault)
    op = submit(client, account.id, amount="11")
    assert op.state == State.UNKNOWN
    page = client.get(reverse("money-show-operation", args=[op.reference]))
    assert "Outcome unknown" in page.content.decode()
    findings = reconcile_pending()
    assert [f.outcome for f in findings] == (["resent"] if fault["kind"] == "status"
                                             else ["found"])
    op.refresh_from_db()
    assert op.state == State.RECONCILED and op.transaction_id
    assert history_count(omt, account.id, op.reference) == 1
    assert omt.get_account(account.id).balance == account.balance + 11
    assert reconcile_pending() == []  # settled: nothing is sent again
    assert history_count(omt, account.id, op.reference) == 1
    actions = set(AuditEntry.objects.filter(entity_id=op.reference).values_list("action",
                                                                                flat=True))
    assert {"money.sent", "money.unknown", "money.reconciled"} <= actions


def test_absent_operation_waits_for_the_settle_time(as_user, client, omt, knobs, pick_account,
                                                    settings):
    settings.MONEY_SETTLE_SECONDS = 3600
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, kind="status", status=500)
    op = submit(client, account.id, amount="3")
    assert [f.outcome for f in reconcile_pending()] == ["waiting"]
    op.refresh_from_db()
    assert op.state == State.UNKNOWN and op.attempts == 1
    assert history_count(omt, account.id, op.reference) == 0


def test_a_history_read_begun_before_the_settle_time_never_justifies_a_resend(
        as_user, client, omt, knobs, pick_account, settings):
    """The settle time is over only for a read that began after it: what lands while a slow
    read is under way may be missing from it."""
    settings.MONEY_SETTLE_SECONDS = 3
    settings.OMTRADER_READ_TIMEOUT = 8.0
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, kind="status", status=503)  # nothing booked
    op = submit(client, account.id, amount="2")
    assert op.state == State.UNKNOWN
    # The settle time ends 1.5 s from now, as if the send had been that long ago: the read
    # below begins 1.5 s too early...
    MoneyOperation.objects.filter(pk=op.pk).update(
        resend_after=timezone.now() + timedelta(seconds=1.5))
    knobs.fault(method="GET", path=HISTORY_PATH, kind="delay", seconds=3)  # ...and ends late
    assert [f.outcome for f in reconcile_pending()] == ["waiting"]
    op.refresh_from_db()
    assert op.state == State.UNKNOWN and op.attempts == 1
    assert [f.outcome for f in reconcile_pending()] == ["resent"]
    assert history_count(omt, account.id, op.reference) == 1


def test_the_reference_is_found_behind_a_full_page_of_newer_movements(as_user, client, omt,
                                                                       knobs, pick_account):
    """A busy account: the operation is not on the first page of its history any more."""
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, kind="after_close")
    op = submit(client, account.id, amount="9")
    with ThreadPoolExecutor(8) as pool:  # newer movements, made outside the portal
        list(pool.map(lambda n: omt.transfer_money(account.id, "deposit", "1", f"busy {n}"),
                      range(HISTORY_PAGE)))
    assert [f.outcome for f in reconcile_pending()] == ["found"]
    op.refresh_from_db()
    assert op.state == State.RECONCILED and op.attempts == 1
    assert omt.get_account(account.id).balance == account.balance + 9 + HISTORY_PAGE


def test_upstream_down_while_reconciling_keeps_it_unknown(as_user, client, omt, knobs,
                                                          pick_account, settings):
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, kind="after_status", status=500)
    op = submit(client, account.id, amount="4")
    knobs.fault(method="GET", path=HISTORY_PATH, kind="status", status=503,
                count=settings.OMTRADER_RETRIES + 1)
    assert [f.outcome for f in reconcile_pending()] == ["unreachable"]
    op.refresh_from_db()
    assert op.state == State.UNKNOWN and op.attempts == 1
    assert [f.outcome for f in reconcile_pending()] == ["found"]  # OMTrader is back
    assert history_count(omt, account.id, op.reference) == 1


def test_reconcile_page_and_command(as_user, client, omt, knobs, pick_account, capsys):
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, kind="after_close")
    op = submit(client, account.id, amount="6")
    page = client.get(reverse("money-list-unknown"))
    assert op.reference in page.content.decode()
    call_command("reconcile_money")
    assert f"{op.reference} account {account.id}" in capsys.readouterr().out
    op.refresh_from_db()
    assert op.state == State.RECONCILED
    page = client.post(reverse("money-reconcile-operations"))
    assert "Nothing needed reconciling" in page.content.decode()


def test_a_resend_omtrader_refuses_ends_refused(as_user, client, omt, knobs, pick_account):
    as_user("backoffice")
    account = pick_account()
    knobs.fault(method="POST", path=MONEY_PATH, kind="status", status=503)
    knobs.fault(method="POST", path=MONEY_PATH, kind="status", status=409)
    op = submit(client, account.id, amount="8")
    assert op.state == State.UNKNOWN
    assert [f.outcome for f in reconcile_pending()] == ["resent"]
    op.refresh_from_db()
    assert op.state == State.REFUSED and op.attempts == 2
    assert reconcile_pending() == []
    assert history_count(omt, account.id, op.reference) == 0


def test_an_operation_stored_but_never_sent_ends_not_sent(as_user, client, omt, pick_account,
                                                          backoffice):
    from crmportal.money.actions import do_submit_operation

    account = pick_account()
    op = do_submit_operation(account, omt.get_client(account.client_id), "credit_in",
                             Decimal("1"), "", "t-stuck", actor=backoffice)
    # As if a busy database held the approving process for 30 s: it may still send.
    MoneyOperation.objects.filter(pk=op.pk).update(
        state=State.APPROVED, decided_at=timezone.now() - timedelta(seconds=30))
    assert reconcile_pending() == []
    # As if the portal had stopped between the approval and the send.
    MoneyOperation.objects.filter(pk=op.pk).update(
        state=State.APPROVED, decided_at=timezone.now() - timedelta(minutes=5))
    assert [f.outcome for f in reconcile_pending()] == ["never sent"]
    op.refresh_from_db()
    assert op.state == State.NOT_SENT
    assert history_count(omt, account.id, op.reference) == 0
    entry = AuditEntry.objects.filter(action="money.not_sent", entity_id=op.reference).get()
    assert entry.outcome == AuditEntry.Outcome.NOT_APPLIED  # nothing reached OMTrader
