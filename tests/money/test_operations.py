"""A deposit below the threshold goes straight through; one above waits for a second member;
double submits and two tabs send once; the KYC gate and the free-margin stop."""

from __future__ import annotations

import re
from decimal import Decimal

from django.test import Client as Browser
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.money.models import MoneyOperation
from tests.money.conftest import PENDING, confirm, history_count, review, submit

State = MoneyOperation.State


def test_deposit_below_threshold_goes_straight_through(as_user, client, omt, pick_account):
    as_user("backoffice")
    account = pick_account()
    page = review(client, account.id, amount="125.50", comment="bank wire 42")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Balance" in body and "Free margin" in body
    assert f"{account.balance + Decimal('125.50'):,.2f}" in body  # the figure after
    confirm(client, account.id, page.context["token"])
    op = MoneyOperation.objects.get()
    assert op.state == State.CONFIRMED and op.attempts == 1
    assert omt.get_account(account.id).balance == account.balance + Decimal("125.50")
    assert history_count(omt, account.id, op.reference) == 1
    assert op.upstream_comment == f"bank wire 42 [{op.reference}]"
    entries = AuditEntry.objects.filter(entity_id=op.reference).order_by("id")
    actions = list(entries.values_list("action", flat=True))
    assert actions == ["money.sent", "money.confirmed"]
    assert set(entries.values_list("group_id", flat=True)) == {account.group_id}


def test_above_threshold_waits_requester_cannot_approve_second_member_does(
        as_user, client, omt, pick_account, supervisor):
    requester = as_user("backoffice")
    account = pick_account()
    op = submit(client, account.id, amount="10000.01")
    assert op.state == State.REQUESTED and op.requested_by == requester
    assert omt.get_account(account.id).balance == account.balance  # nothing sent yet
    approve = reverse("money-approve-operation", args=[op.reference])
    client.force_login(requester)
    requester.user_permissions.add(*_approve_permission())
    refused = client.post(approve)
    assert refused.status_code == 403
    assert "another member must approve" in refused.content.decode()
    op.refresh_from_db()
    assert op.state == State.REQUESTED

    queue = client.get(reverse("money-list-requests"))
    assert op.reference in queue.content.decode()

    checker = Browser()
    checker.force_login(supervisor)
    done = checker.post(approve)
    assert done.status_code == 302
    op.refresh_from_db()
    assert op.state == State.CONFIRMED and op.decided_by == supervisor
    assert omt.get_account(account.id).balance == account.balance + Decimal("10000.01")
    again = checker.post(approve)  # a second click: nothing more happens
    assert again.status_code == 403
    assert omt.get_account(account.id).balance == account.balance + Decimal("10000.01")
    assert history_count(omt, account.id, op.reference) == 1


def _approve_permission():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="staff", codename="approve_money")


def test_credit_always_needs_approval_and_reject_sends_nothing(as_user, client, omt,
                                                              pick_account, supervisor):
    as_user("backoffice")
    account = pick_account()
    op = submit(client, account.id, type="credit_in", amount="5")
    assert op.state == State.REQUESTED
    checker = Browser()
    checker.force_login(supervisor)
    url = reverse("money-reject-operation", args=[op.reference])
    assert checker.post(url, {"reason": ""}).status_code == 400
    assert checker.post(url, {"reason": "no contract"}).status_code == 302
    op.refresh_from_db()
    assert op.state == State.REJECTED and op.decision_reason == "no contract"
    assert history_count(omt, account.id, op.reference) == 0


def test_double_submit_and_two_tabs_send_once(as_user, client, omt, pick_account):
    member = as_user("backoffice")
    account = pick_account()
    page = review(client, account.id, amount="7")
    token = page.context["token"]
    first = confirm(client, account.id, token)
    second = confirm(client, account.id, token)  # double click / browser retry
    other_tab = Browser()
    other_tab.force_login(member)
    third = confirm(other_tab, account.id, token)  # the same page open in a second tab
    assert first.status_code == 302
    assert second.status_code == third.status_code == 409
    assert "already submitted" in second.content.decode()
    op = MoneyOperation.objects.get()
    assert history_count(omt, account.id, op.reference) == 1
    assert omt.get_account(account.id).balance == account.balance + 7


def test_kyc_gate_refuses_deposit_for_pending_client(as_user, client, omt, pick_account):
    as_user("backoffice")
    account = pick_account(kyc=PENDING)
    page = review(client, account.id, amount="10")
    assert page.status_code == 409
    assert "KYC approved" in page.content.decode()
    assert not MoneyOperation.objects.exists()


def test_kyc_gate_is_configurable_per_operation(as_user, client, pick_account, settings):
    settings.MONEY_KYC_REQUIRED = ["withdrawal"]
    as_user("backoffice")
    account = pick_account(kyc=PENDING)
    assert review(client, account.id, amount="10").status_code == 200
    assert review(client, account.id, type="withdrawal", amount="1").status_code == 409


def test_withdrawal_above_free_margin_is_stopped_with_the_figure(as_user, client, omt,
                                                                 pick_account):
    as_user("backoffice")
    account = pick_account()
    asked = account.margin_free + 1000  # above it, however the market moves meanwhile
    page = review(client, account.id, type="withdrawal", amount=str(asked))
    assert page.status_code == 409
    figure = re.search(r"above the free margin of ([\d,.]+) USD", page.content.decode())
    assert figure and Decimal(figure.group(1).replace(",", "")) < asked
    assert not MoneyOperation.objects.exists()
    assert omt.get_account(account.id).balance == account.balance


def test_confirm_needs_a_recent_confirmation_of_identity(as_user, client, omt, pick_account):
    from crmportal.staff.stepup import CONFIRMED_AT

    as_user("backoffice")
    account = pick_account()
    token = review(client, account.id, amount="9").context["token"]
    session = client.session
    session[CONFIRMED_AT] = 0  # the last confirmation is long ago
    session.save()
    refused = confirm(client, account.id, token)
    assert refused.status_code == 403
    assert not MoneyOperation.objects.exists()
    form = client.get(reverse("money-create-operation", args=[account.id]))
    assert form.status_code == 302 and "next=" in form["Location"]
