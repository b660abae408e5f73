"""The account page and the writes: roles x scope, panels that fail alone, open / edit /
password / delete against the simulator, upstream refusals on the form."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from crmportal.accounts.actions import do_create_account
from crmportal.accounts.forms import AccountForm
from crmportal.audit.models import AuditEntry
from crmportal.omtrader.errors import Rejected
from crmportal.staff.roles import BACK_OFFICE, COMPLIANCE
from tests.accounts.conftest import GROUP
from tests.clients.test_client_detail import without_tokens
from tests.support.fixtures import ROLES, limited_member

MAY_CHANGE = {"backoffice", "administrator"}
WRITES = ("accounts-edit-account", "accounts-reset-password", "accounts-delete-account")


def show(account_id: int) -> str:
    return reverse("accounts-show-account", args=[account_id])


@pytest.fixture(params=sorted(ROLES))
def member(request, client, make_staff):
    return limited_member(request, client, make_staff, GROUP)


def test_every_role_sees_an_account_in_scope(client, member, cases):
    account = cases["inside"]
    response = client.get(show(account.id))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="/clients/{account.client_id}/"' in body
    assert 'id="account-margin-level"' in body and "stop-out" in body
    assert ("Edit account" in body) == (member.slug in MAY_CHANGE)


def test_out_of_scope_answers_exactly_like_missing(client, member, cases):
    outside = client.get(show(cases["outside"].id))
    missing = client.get(show(999_999))
    assert outside.status_code == missing.status_code == 404
    assert without_tokens(outside) == without_tokens(missing)


@pytest.mark.parametrize("name", WRITES)
def test_writes_are_refused_by_role_and_hidden_by_scope(client, member, cases, name):
    inside = client.get(reverse(name, args=[cases["inside"].id]))
    outside = client.get(reverse(name, args=[cases["outside"].id]))
    if member.slug in MAY_CHANGE:
        assert (inside.status_code, outside.status_code) == (200, 404)
    else:
        assert (inside.status_code, outside.status_code) == (403, 403)


def test_anonymous_is_sent_to_sign_in_everywhere(client, cases):
    for name in ("accounts-show-account", *WRITES):
        response = client.get(reverse(name, args=[cases["inside"].id]))
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.get(reverse("accounts-create-account"))
    assert response.status_code == 302


def test_a_failing_panel_shows_its_own_notice(client, administrator, cases, knobs):
    client.force_login(administrator)
    knobs.fault(method="GET", path="/api/v1/manager/deals", status=500, count=10)
    response = client.get(show(cases["inside"].id))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="account-deals-error"' in body and "Recent deals could not be loaded" in body
    assert 'id="account-positions"' in body and 'id="account-positions-error"' not in body


def test_audit_page_lists_account_entries_by_scope_with_a_link(client, make_staff, cases,
                                                               backoffice):
    from crmportal.audit.log import record

    for key in ("inside", "outside"):
        record("account.update", actor=backoffice, entity_type="account",
               entity_id=cases[key].id, after={"leverage": 50})
    client.force_login(make_staff("auditor", COMPLIANCE, [GROUP]))
    body = client.get(reverse("audit-list-entries")).content.decode()
    assert f'href="/accounts/{cases["inside"].id}/"' in body
    assert f'href="/accounts/{cases["outside"].id}/"' not in body


# -- writes against the simulator ---------------------------------------------------------------


def _open_form(client, customer_id: int, **fields) -> dict:
    form = client.get(reverse("accounts-create-account"), {"client": customer_id}).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_open_an_account_with_generated_passwords_shown_once(client, backoffice, make_client,
                                                             writes, omt):
    customer = make_client(preferred_group=GROUP)
    client.force_login(backoffice)
    page = client.get(reverse("accounts-create-account"), {"client": customer.id})
    assert page.status_code == 200
    assert page.context["form"]["first_name"].value() == customer.first_name
    data = _open_form(client, customer.id, group_id=GROUP, username=f"u{customer.id}")
    response = client.post(f"{reverse('accounts-create-account')}?client={customer.id}", data)
    assert response.status_code == 200, response.context["form"].errors
    passwords = [p for _, p in response.context["passwords"]]
    assert len(passwords) == 2 and all(len(p) >= 8 for p in passwords)
    assert response["Cache-Control"] == "no-store"
    account = response.context["account"]
    assert omt.get_account(account.id).client_id == customer.id
    entry = AuditEntry.objects.filter(action="account.create").latest("id")
    written = json.dumps([entry.before, entry.after, entry.detail])
    assert entry.entity_id == str(account.id)
    assert not any(p in written for p in passwords)
    assert entry.after["user_password"] == "[redacted]"
    # The client 360 lists it, linked.
    body = client.get(reverse("clients-show-client", args=[customer.id])).content.decode()
    assert f'href="/accounts/{account.id}/"' in body


def test_typed_passwords_follow_the_rule(client, backoffice, make_client, writes):
    customer = make_client(preferred_group=GROUP)
    client.force_login(backoffice)
    data = _open_form(client, customer.id, group_id=GROUP, user_password_mode="type",
                      user_password="short")
    response = client.post(f"{reverse('accounts-create-account')}?client={customer.id}", data)
    assert response.status_code == 400
    assert response.context["form"].errors["user_password"]


def test_only_client_groups_in_scope_are_offered(client, make_staff, make_client):
    customer = make_client(preferred_group=GROUP)
    client.force_login(make_staff("limited-open", BACK_OFFICE, [GROUP, 10]))
    form = client.get(reverse("accounts-create-account"), {"client": customer.id}).context["form"]
    assert [value for value, _ in form.fields["group_id"].choices if value] == [GROUP]


def test_opening_for_a_client_out_of_scope_is_missing(client, make_staff, make_client):
    customer = make_client(preferred_group=7)
    client.force_login(make_staff("limited-open2", BACK_OFFICE, [GROUP]))
    assert client.get(reverse("accounts-create-account"), {"client": customer.id}).status_code \
        == 404
    assert client.get(reverse("accounts-create-account"), {"client": "x"}).status_code == 400


def test_an_upstream_refusal_lands_on_its_field_of_the_form(client, backoffice, make_client,
                                                             writes, omt):
    first = make_client(preferred_group=GROUP)
    omt.create_account({"client_id": first.id, "group_id": GROUP, "username": "taken-login"})
    customer = make_client(preferred_group=GROUP)
    client.force_login(backoffice)
    data = _open_form(client, customer.id, group_id=GROUP, username="taken-login")
    response = client.post(f"{reverse('accounts-create-account')}?client={customer.id}", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "already taken" in " ".join(errors["username"])
    assert 'id="id_username-errors"' in response.content.decode()
    entry = AuditEntry.objects.filter(action="account.create").latest("id")
    assert entry.outcome == AuditEntry.Outcome.REJECTED and entry.entity_id == ""


def test_upstream_field_errors_land_on_fields(backoffice, make_client, writes):
    customer = make_client(preferred_group=GROUP)
    with pytest.raises(Rejected) as refused:
        do_create_account(customer.id, {"group_id": 10, "user_password": "abcdefgh1"},
                          actor=backoffice)
    form = AccountForm({"group_id": GROUP}, groups=[], client=customer)
    form.is_valid()
    form.add_upstream_errors(refused.value.field_errors, refused.value.message)
    assert "client group" in " ".join(form.errors["group_id"])
    entry = AuditEntry.objects.filter(action="account.create").latest("id")
    assert entry.outcome == AuditEntry.Outcome.REJECTED
    assert entry.after["user_password"] == "[redacted]"


def test_edit_moves_group_and_leverage_with_before_and_after(client, backoffice, make_client,
                                                             writes, omt):
    customer = make_client(preferred_group=GROUP)
    account = omt.create_account({"client_id": customer.id, "group_id": GROUP})
    client.force_login(backoffice)
    url = reverse("accounts-edit-account", args=[account.id])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(group_id=7, leverage=50)
    data.pop("enable_risk_management", None)
    preview = client.post(url, {**data, "leverage": "0"})  # invalid: shows the move
    assert "Live Pro" in preview.content.decode()
    response = client.post(url, data)
    assert response.status_code == 302
    fresh = omt.get_account(account.id)
    assert (fresh.group_id, fresh.leverage) == (7, 50)
    entry = AuditEntry.objects.filter(action="account.update").latest("id")
    assert entry.before["group_id"] == GROUP and entry.after["group_id"] == 7
    assert entry.group_id == GROUP  # the group it was in: shown to that group's members
    assert entry.before["leverage"] == 0 and entry.after["leverage"] == 50


def test_password_reset_shows_the_new_one_once_and_never_logs_it(client, backoffice,
                                                                 make_client, writes, omt):
    customer = make_client(preferred_group=GROUP)
    account = omt.create_account({"client_id": customer.id, "group_id": GROUP})
    client.force_login(backoffice)
    url = reverse("accounts-reset-password", args=[account.id])
    response = client.post(url, {"which": "investor_password", "password_mode": "type",
                                 "password": "Typed-Secret-9"})
    assert response.status_code == 200
    assert "Typed-Secret-9" in response.content.decode()
    entry = AuditEntry.objects.filter(action="account.password_reset").latest("id")
    assert "Typed-Secret-9" not in json.dumps([entry.before, entry.after, entry.detail])
    bad = client.post(url, {"which": "user_password", "password_mode": "type", "password": "x"})
    assert bad.status_code == 400


def test_delete_refused_with_open_positions_then_done(client, backoffice, writes, omt, cases,
                                                     make_client):
    client.force_login(backoffice)
    busy = next((p.account_id for p in omt.list_positions(group_id=GROUP, limit=50).items),
                None)
    if busy is not None:
        response = client.post(reverse("accounts-delete-account", args=[busy]))
        assert response.status_code == 409
        assert "open positions" in response.content.decode()
        assert AuditEntry.objects.filter(action="account.delete", entity_id=str(busy),
                                         outcome=AuditEntry.Outcome.REJECTED).exists()
    customer = make_client(preferred_group=GROUP)
    account = omt.create_account({"client_id": customer.id, "group_id": GROUP})
    assert client.get(reverse("accounts-delete-account", args=[account.id])).status_code == 200
    response = client.post(reverse("accounts-delete-account", args=[account.id]))
    assert response.status_code == 302
    assert client.get(show(account.id)).status_code == 404


def test_choosing_another_group_shows_its_levels_and_warns_below_them(client, backoffice, omt,
                                                                    seeded_accounts):
    client.force_login(backoffice)
    account = next(a for a in seeded_accounts if a.group_id == GROUP and a.margin)
    live = omt.get_account(account.id)
    url = reverse("accounts-edit-account", args=[account.id])
    response = client.get(url, {"group_id": 8}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="group-levels"')
    assert "Moving to Live VIP: margin call 120.00 %, stop-out 60.00 %" in body
    # The warning follows the account's margin level (read again: the market moves it).
    level = omt.get_account(account.id).margin_level
    if min(level, live.margin_level) >= 120 or max(level, live.margin_level) < 120:
        assert ("below Live VIP" in body) == (level < 120)
    page = client.get(url)
    assert f'hx-get="{url}"' in page.content.decode()
    assert 'id="group-move"' not in page.content.decode()  # no move chosen yet


MAY_EXPORT = {"backoffice", "compliance", "administrator"}


def test_open_export_and_list_by_role_in_scope(client, member, make_client):
    customer = make_client(preferred_group=GROUP)
    opened = client.get(reverse("accounts-create-account"), {"client": customer.id})
    assert opened.status_code == (200 if member.slug in MAY_CHANGE else 403)
    exported = client.get(reverse("accounts-export-accounts"))
    assert exported.status_code == (200 if member.slug in MAY_EXPORT else 403)
    listed = client.get(reverse("accounts-list-accounts")).content.decode()
    assert ("Open an account" in listed) == (member.slug in MAY_CHANGE)
    assert ("to CSV" in listed) == (member.slug in MAY_EXPORT)


@pytest.mark.parametrize("name", WRITES)
def test_a_post_out_of_scope_changes_nothing(client, make_staff, cases, omt, name):
    client.force_login(make_staff("limited-post", BACK_OFFICE, [GROUP]))
    outside = cases["outside"]
    before = omt.get_account(outside.id)
    data = {"group_id": GROUP, "leverage": 7, "which": "user_password", "password_mode": "type",
            "password": "Some-Pass-123"}
    response = client.post(reverse(name, args=[outside.id]), data)
    assert response.status_code == 404
    after = omt.get_account(outside.id)
    assert (after.group_id, after.leverage, after.updated_at is not None) == (
        before.group_id, before.leverage, True)
    assert not AuditEntry.objects.filter(entity_type="account", entity_id=str(outside.id)).exists()


def test_bad_limits_and_leverage_are_refused_on_the_form(client, backoffice, cases):
    client.force_login(backoffice)
    url = reverse("accounts-edit-account", args=[cases["inside"].id])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.pop("enable_risk_management", None)
    for field, value in (("max_day_loss", "-5"), ("max_week_profit", "NaN"),
                         ("max_month_loss", "1e309"), ("leverage", "9000"),
                         ("max_day_profit", "1.123456789")):
        response = client.post(url, {**data, field: value})
        assert response.status_code == 400, field
        assert response.context["form"].errors[field], field
    assert not AuditEntry.objects.filter(action="account.update").exists()


def test_no_password_reaches_any_log(client, backoffice, make_client, writes, caplog):
    customer = make_client(preferred_group=GROUP)
    client.force_login(backoffice)
    caplog.set_level("DEBUG")
    data = _open_form(client, customer.id, group_id=GROUP, user_password_mode="type",
                      user_password="Logged-Never-77", investor_password_mode="type",
                      investor_password="Also-Never-88")
    response = client.post(f"{reverse('accounts-create-account')}?client={customer.id}", data)
    assert response.status_code == 200
    assert "Logged-Never-77" in response.content.decode()  # shown once, to the member
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records and "Logged-Never-77" not in logged and "Also-Never-88" not in logged
