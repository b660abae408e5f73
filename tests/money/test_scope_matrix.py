"""Every money page and action against every role, and a member whose group scope does not
hold the account: out of scope answers exactly like missing (404)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crmportal.money import tokens
from crmportal.money.actions import do_submit_operation
from crmportal.money.models import MoneyOperation

ROLES = ("backoffice", "compliance", "supervisor", "administrator", "roleless")
OK, NO = 200, 403
# page -> status per role, in ROLES order
PAGES = {
    "list": (OK, OK, OK, OK, NO),
    "list_account": (OK, OK, OK, OK, NO),
    "export": (OK, NO, NO, OK, NO),
    "create": (OK, NO, NO, OK, NO),
    "requests": (OK, OK, OK, OK, NO),
    "reconcile": (OK, OK, OK, OK, NO),
    "detail": (OK, OK, OK, OK, NO),
}


@pytest.fixture
def request_op(pick_account, backoffice, omt):
    account = pick_account()
    owner = omt.get_client(account.client_id)
    op = do_submit_operation(account, owner, "credit_in", Decimal("1"), "", "t-matrix",
                             actor=backoffice)
    assert op.state == MoneyOperation.State.REQUESTED
    return op


def _url(page: str, op: MoneyOperation) -> str:
    return {
        "list": reverse("money-list-movements"),
        "list_account": reverse("money-list-movements") + f"?account={op.account_id}",
        "export": reverse("money-export-movements"),
        "create": reverse("money-create-operation", args=[op.account_id]),
        "requests": reverse("money-list-requests"),
        "reconcile": reverse("money-list-unknown"),
        "detail": reverse("money-show-operation", args=[op.reference]),
    }[page]


@pytest.mark.parametrize("index,role", list(enumerate(ROLES)))
def test_pages_by_role(index, role, as_user, client, request_op):
    as_user(role)
    for page, expected in PAGES.items():
        response = client.get(_url(page, request_op))
        assert response.status_code == expected[index], (role, page)


@pytest.mark.parametrize("role,status", [("backoffice", 403), ("compliance", 403),
                                         ("roleless", 403), ("supervisor", 302)])
def test_approve_by_role(role, status, as_user, client, request_op):
    as_user(role)
    url = reverse("money-approve-operation", args=[request_op.reference])
    assert client.post(url).status_code == status
    url = reverse("money-reconcile-operations")
    assert client.post(url).status_code == (200 if role == "backoffice" else 403)


def test_out_of_scope_is_like_missing(client, make_staff, request_op):
    other = request_op.group_id + 100
    for role in ("Back office", "Administrator"):
        member = make_staff(f"far-{role[:4]}", role, group_ids=[other])
        client.force_login(member)
        for page in ("list_account", "create", "detail"):
            assert client.get(_url(page, request_op)).status_code == 404, (role, page)
        missing = reverse("money-show-operation", args=["CRM-ffffffff"])
        assert client.get(missing).status_code == 404
        assert request_op.reference not in client.get(_url("list", request_op)).content.decode()
        assert request_op.reference not in client.get(
            _url("requests", request_op)).content.decode()
        token = tokens.issue(member, request_op.account_id, "deposit", "5", "")
        confirm = reverse("money-confirm-operation", args=[request_op.account_id])
        assert client.post(confirm, {"token": token}).status_code == 404
    assert client.post(reverse("money-approve-operation",
                               args=[request_op.reference])).status_code == 404
    assert client.post(reverse("money-reject-operation", args=[request_op.reference]),
                       {"reason": "x"}).status_code == 404
    request_op.refresh_from_db()
    assert request_op.state == MoneyOperation.State.REQUESTED
