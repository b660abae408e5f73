"""The group-scope rule over every clients page, export and action, for each role limited to
one group, against three seeded clients: wholly inside the group, straddling it (accounts in
and out), wholly outside. (The live sockets' side of the matrix is in tests/live.)"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from tests.support.fixtures import ROLES, limited_member

GROUP = 6
MAY_CHANGE = {"backoffice", "administrator"}
MAY_REVIEW = {"compliance", "administrator"}
MAY_EXPORT = {"backoffice", "compliance", "administrator"}


def _groups(customer) -> set:
    groups = {account.group_id for account in customer.accounts}
    if customer.preferred_group is not None:
        groups.add(customer.preferred_group)
    return groups


@pytest.fixture(scope="module")
def cases(seeded) -> dict:
    """One seeded client of each kind, with accounts in each (where the kind allows)."""
    def first(test):
        return next(c for c in sorted(seeded, key=lambda c: c.id) if test(c))

    inside = first(lambda c: c.accounts and _groups(c) == {GROUP})
    straddling = first(lambda c: any(a.group_id == GROUP for a in c.accounts)
                       and any(a.group_id != GROUP for a in c.accounts))
    outside = first(lambda c: c.accounts and GROUP not in _groups(c))
    return {"inside": inside, "straddling": straddling, "outside": outside}


@pytest.fixture(params=sorted(ROLES))
def member(request, client, make_staff):
    return limited_member(request, client, make_staff, GROUP)


def _page(client, name: str, customer_id: int):
    return client.get(reverse(name, args=[customer_id]))


def test_it_shows_a_client_wholly_inside_with_every_account(client, member, cases):
    customer = cases["inside"]
    page = _page(client, "clients-show-client", customer.id)
    assert page.status_code == 200
    body = page.content.decode()
    assert all(f'<a href="/accounts/{a.id}/">{a.id}</a></td>' in body for a in customer.accounts)
    assert "outside your scope" not in body
    assert ("Edit client" in body) is (member.slug in MAY_CHANGE)
    assert ("Review KYC" in body) is (member.slug in MAY_REVIEW)
    edit = _page(client, "clients-edit-client", customer.id).status_code
    assert edit == (200 if member.slug in MAY_CHANGE else 403)
    review = _page(client, "kyc-review-client", customer.id)
    assert review.status_code == (200 if member.slug in MAY_REVIEW else 403)
    if member.slug in MAY_REVIEW:
        assert "Approve KYC" in review.content.decode()


def test_it_shows_a_straddling_client_with_only_the_accounts_in_scope(client, member, cases):
    customer = cases["straddling"]
    shown = [a for a in customer.accounts if a.group_id == GROUP]
    hidden = [a for a in customer.accounts if a.group_id != GROUP]
    page = _page(client, "clients-show-client", customer.id)
    assert page.status_code == 200
    context = page.context
    assert [a.id for a, _ in context["accounts"]] == sorted(a.id for a in shown)
    assert {p.account_id for p, *_ in context["positions"]} <= {a.id for a in shown}
    assert {d.account_id for d, *_ in context["deals"]} <= {a.id for a in shown}
    assert {t.account_id for t, _ in context["transactions"]} <= {a.id for a in shown}
    body = page.content.decode()
    n = len(hidden)
    assert f"{n} more account{'s' if n != 1 else ''} in groups outside your scope" in body
    for account in hidden:
        assert f'<a href="/accounts/{account.id}/">' not in body
        assert f"data-account-ids=\"{account.id}" not in body
    assert "Edit client" not in body and "Delete…" not in body and "Review KYC" not in body


def test_it_refuses_shared_writes_to_a_straddling_client_and_audits_them(client, member, cases,
                                                                        omt):
    customer = cases["straddling"]
    before = omt.get_client(customer.id)
    expected = 403
    for name, method in (("clients-edit-client", "get"), ("clients-edit-client", "post"),
                         ("clients-delete-client", "get"), ("clients-delete-client", "post"),
                         ("kyc-approve-client", "post"), ("kyc-reject-client", "post")):
        response = getattr(client, method)(reverse(name, args=[customer.id]),
                                           {"city": "Elsewhere", "reason": "other"})
        assert response.status_code == expected, (name, method)
    after = omt.get_client(customer.id)
    assert after.updated_at == before.updated_at and after.kyc_status == before.kyc_status
    denied = AuditEntry.objects.filter(actor=member, action="access.denied")
    assert denied.count() == 6
    if member.slug in MAY_REVIEW:
        review = _page(client, "kyc-review-client", customer.id).content.decode()
        assert "Approve KYC" not in review and "Reject KYC" not in review
        assert "outside your scope" in review


def test_it_answers_a_client_wholly_outside_like_one_that_does_not_exist(client, member, cases):
    customer = cases["outside"]
    for name in ("clients-show-client", "clients-edit-client", "clients-delete-client",
                 "kyc-review-client"):
        got = _page(client, name, customer.id).status_code
        missing = _page(client, name, 99_999_999).status_code
        assert got == missing, name
    for name in ("kyc-approve-client", "kyc-reject-client", "clients-delete-client"):
        got = client.post(reverse(name, args=[customer.id]), {"reason": "other"}).status_code
        missing = client.post(reverse(name, args=[99_999_999]), {"reason": "other"}).status_code
        assert got == missing, name


def test_it_lists_and_exports_inside_and_straddling_clients_only(client, member, cases):
    listed = client.get(reverse("clients-list-clients"), {"size": 500})
    ids = {row.id for row in listed.context["page"]}
    if listed.context["page"].paginator.num_pages == 1:
        assert cases["inside"].id in ids and cases["straddling"].id in ids
    assert cases["outside"].id not in ids
    export = client.get(reverse("clients-export-clients"))
    if member.slug not in MAY_EXPORT:
        assert export.status_code == 403
        return
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    exported = {int(row["Id"]) for row in csv.DictReader(io.StringIO(text))}
    assert {cases["inside"].id, cases["straddling"].id} <= exported
    assert cases["outside"].id not in exported


def test_it_shows_audit_entries_only_about_clients_in_scope(client, member, cases):
    for kind, customer in cases.items():
        record("client.update", actor_username="someone", entity_type="client",
               entity_id=customer.id, detail=f"marker-{kind}")
    record("staff.update", actor_username="someone", entity_type="staff", entity_id=1,
           detail="marker-staff")
    page = client.get(reverse("audit-list-entries"), {"size": 100})
    if member.slug not in ("compliance", "administrator"):
        assert page.status_code == 403
        return
    body = page.content.decode()
    assert "marker-inside" in body and "marker-straddling" in body
    assert "marker-outside" not in body
    assert ("marker-staff" in body) is (member.slug == "administrator")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_it_shows_nothing_to_a_member_with_no_groups(client, make_staff, cases, role):
    client.force_login(make_staff("nowhere", ROLES[role], []))
    for customer in cases.values():
        assert _page(client, "clients-show-client", customer.id).status_code == 404
    listed = client.get(reverse("clients-list-clients"))
    assert listed.context["page"].paginator.count == 0
