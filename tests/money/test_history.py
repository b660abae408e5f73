"""The movements list and its export, the account panel, expiry of requests, and the
identity-change rule of maker-checker."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.money.actions import Refused, do_approve, expire_requests
from crmportal.money.models import MoneyOperation
from tests.money.conftest import submit

State = MoneyOperation.State


def test_account_movements_join_who_asked_and_who_approved(as_user, client, omt, pick_account,
                                                           supervisor):
    as_user("backoffice")
    account = pick_account()
    straight = submit(client, account.id, amount="12.34", comment="=HYPERLINK(evil)")
    waiting = submit(client, account.id, amount="20000")
    do_approve(waiting, actor=supervisor)
    page = client.get(reverse("money-list-movements") + f"?account={account.id}")
    rows = {row.reference: row for row in page.context["page"]}
    assert rows[straight.reference].requested_by == "bo"
    assert rows[straight.reference].balance_after == account.balance + Decimal("12.34")
    assert rows[waiting.reference].approved_by == "sam"
    assert len(page.context["page"].object_list) == len(
        omt.list_transactions(account.id, limit=1000).items)  # outside-portal rows too

    export = client.get(reverse("money-export-movements") + f"?account={account.id}")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0] == "Date"
    evil = next(line for line in lines if straight.reference in line)
    assert evil[6].startswith("'=")  # formula-safe
    assert AuditEntry.objects.filter(action="money.export").exists()

    since = (timezone.localdate() + timedelta(days=1)).isoformat()
    later = client.get(reverse("money-list-movements") + f"?account={account.id}&date_from={since}")
    assert list(later.context["page"]) == []
    wrong = client.get(reverse("money-list-movements") + "?date_from=yesterday&type=x")
    assert wrong.status_code == 200 and len(wrong.context["notices"]) == 2


def test_portal_movements_without_an_account_filter(as_user, client, pick_account):
    as_user("backoffice")
    account = pick_account()
    op = submit(client, account.id, type="withdrawal", amount="1")
    page = client.get(reverse("money-list-movements") + "?type=withdrawal")
    assert [row.reference for row in page.context["page"]] == [op.reference]
    assert page.context["page"][0].signed_amount == Decimal("-1")
    assert client.get(reverse("money-list-movements") + "?type=deposit").context[
        "page"].object_list == []


def test_the_account_page_shows_the_portals_operations_and_who_asked(
        as_user, client, pick_account):
    as_user("backoffice")
    account = pick_account()
    waiting = submit(client, account.id, amount="50000")
    done = submit(client, account.id, amount="25")
    page = client.get(reverse("accounts-show-account", args=[account.id]))
    section = page.content.decode().split('id="account-money"')[1].split("</section>")[0]
    assert "In progress in the portal" in section and waiting.reference in section
    assert done.reference in section
    assert f"<td>{done.requested_by_username}</td>" in section
    assert reverse("money-create-operation", args=[account.id]) in section


def test_requests_expire(as_user, client, pick_account, supervisor):
    as_user("backoffice")
    op = submit(client, pick_account().id, type="credit_in", amount="5")
    MoneyOperation.objects.filter(pk=op.pk).update(expires_at=timezone.now() - timedelta(1))
    op.refresh_from_db()
    try:
        do_approve(op, actor=supervisor)
        raise AssertionError("an expired request was approved")
    except Refused as refused:
        assert "expired" in refused.message
    assert expire_requests() == 1
    op.refresh_from_db()
    assert op.state == State.EXPIRED
    assert AuditEntry.objects.filter(action="money.expired", entity_id=op.reference).exists()


def test_whoever_last_changed_the_owners_identity_cannot_approve(as_user, client, pick_account,
                                                                 supervisor, administrator):
    as_user("backoffice")
    account = pick_account()
    op = submit(client, account.id, amount="15000")
    record("client.update", actor=supervisor, entity_type="client", entity_id=account.client_id,
           after={"family_name": "Changed"})
    checker = Browser()
    checker.force_login(supervisor)
    refused = checker.post(reverse("money-approve-operation", args=[op.reference]))
    assert refused.status_code == 403
    assert "changed the identity" in refused.content.decode()
    other = Browser()
    other.force_login(administrator)
    assert other.post(reverse("money-approve-operation", args=[op.reference])).status_code == 302
    op.refresh_from_db()
    assert op.state == State.CONFIRMED


def test_lists_answer_htmx_with_their_table_only(as_user, client, pick_account):
    as_user("backoffice")
    op = submit(client, pick_account().id, type="credit_in", amount="3")
    for name, marker in (("money-list-movements", 'id="movement-table"'),
                         ("money-list-requests", 'id="request-table"')):
        body = client.get(reverse(name), headers={"HX-Request": "true"}).content.decode()
        assert body.lstrip().startswith(f"<section {marker}") and op.reference in body
        assert "<html" not in body
