"""Every kind of bad input gets a clear message on the form and nothing is sent."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from crmportal.money import tokens
from crmportal.money.models import MoneyOperation
from tests.money.conftest import confirm, history_count, review

AMOUNTS = [
    ("-5", "above 0"),
    ("0", "above 0"),
    ("0.00", "above 0"),
    ("NaN", "is not an amount"),
    ("1e309", "is not an amount"),
    ("Infinity", "is not an amount"),
    ("10.123", "round the amount to 2"),
    ("12,34", "is not an amount"),
    ("1.2.3", "is not an amount"),
    ("ten", "is not an amount"),
    ("", "Enter an amount"),
    ("99999999999999", "at most"),
]


def test_each_bad_input_gets_a_message_and_nothing_is_sent(as_user, client, omt, pick_account,
                                                            make_staff, supervisor):
    member = as_user("backoffice")
    account = pick_account()
    before = history_count(omt, account.id)
    for amount, message in AMOUNTS:
        page = review(client, account.id, amount=amount)
        assert page.status_code == 400, amount
        assert message in page.content.decode(), (amount, page.content.decode()[:3000])
        assert "Nothing was sent" in page.content.decode()
    page = review(client, account.id, amount="5", type="gift")
    assert page.status_code == 400 and "Select a valid choice" in page.content.decode()

    missing = confirm(client, account.id, "")
    assert missing.status_code == 400 and "no one-time token" in missing.content.decode()
    forged = confirm(client, account.id, "abc:def")
    assert forged.status_code == 400 and "not valid" in forged.content.decode()
    someone_elses = tokens.issue(supervisor, account.id, "deposit", "5", "")
    assert "another member" in confirm(client, account.id, someone_elses).content.decode()
    other_account = tokens.issue(member, account.id + 1, "deposit", "5", "")
    assert "another member or account" in confirm(client, account.id,
                                                  other_account).content.decode()

    token = review(client, account.id, amount="5").context["token"]
    assert confirm(client, account.id, token).status_code == 302
    reused = confirm(client, account.id, token)
    assert reused.status_code == 409 and "already submitted" in reused.content.decode()

    limited = Browser()
    limited.force_login(make_staff("limited", "Back office", group_ids=[account.group_id + 100]))
    assert review(limited, account.id, amount="5").status_code == 404
    assert confirm(limited, account.id, token).status_code == 404

    op = MoneyOperation.objects.get()
    approve = client.post(reverse("money-approve-operation", args=[op.reference]))
    assert approve.status_code == 403  # the requester has no approve permission at all
    assert MoneyOperation.objects.count() == 1
    assert history_count(omt, account.id) == before + 1  # only the one valid operation


@pytest.mark.parametrize("comment", ["[CRM-00000000]", "x" * 161])
def test_comment_that_could_fake_a_reference_or_is_too_long(as_user, client, pick_account,
                                                            comment):
    as_user("backoffice")
    page = review(client, pick_account().id, amount="1", comment=comment)
    assert page.status_code == 400
