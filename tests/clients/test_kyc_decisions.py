from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.clients import kyc
from crmportal.clients.models import ClientIndex, KycReview
from crmportal.staff.roles import ADMINISTRATOR, COMPLIANCE
from tests.clients.conftest import form_data

pytestmark = pytest.mark.usefixtures("writes")


def approve(client_id: int) -> str:
    return reverse("kyc-approve-client", args=[client_id])


def reject(client_id: int) -> str:
    return reverse("kyc-reject-client", args=[client_id])


def review(client_id: int) -> str:
    return reverse("kyc-review-client", args=[client_id])


@pytest.fixture
def applicant(make_client):
    """A client waiting for KYC (kyc_status null), documents on file."""
    return make_client(document_type=0, document_number="P1234567", issue_date="2021-03-04",
                       expiry_date="2031-03-03", preferred_group=6)


@pytest.mark.parametrize("role,status", [("compliance", 200), ("administrator", 200),
                                         ("backoffice", 403), ("supervisor", 403),
                                         ("roleless", 403)])
def test_it_offers_the_review_to_roles_that_review_kyc(as_user, client, applicant, role,
                                                       status):
    as_user(role)
    assert client.get(review(applicant.id)).status_code == status


@pytest.mark.parametrize("role", ["backoffice", "supervisor", "roleless"])
def test_it_refuses_decisions_from_roles_that_do_not_review_kyc(as_user, client, omt,
                                                                applicant, role):
    as_user(role)
    assert client.post(approve(applicant.id)).status_code == 403
    assert client.post(reject(applicant.id), {"reason": "other", "note": "x"}).status_code == 403
    assert omt.get_client(applicant.id).kyc_status is None


def test_it_refuses_a_client_outside_the_reviewers_groups(client, make_staff, applicant, omt):
    client.force_login(make_staff("limited", COMPLIANCE, [9]))
    assert client.get(review(applicant.id)).status_code == 404
    assert client.post(approve(applicant.id)).status_code == 404
    assert omt.get_client(applicant.id).kyc_status is None


def test_it_shows_documents_unmasked_to_the_reviewer(as_user, client, applicant):
    as_user("compliance")
    body = client.get(review(applicant.id)).content.decode()
    assert "P1234567" in body and "2031-03-03" in body


def test_it_writes_an_approval_to_omtrader_and_keeps_the_reviewer(as_user, client, omt,
                                                                  applicant, simulator):
    user = as_user("compliance")
    response = client.post(approve(applicant.id), {"note": "passport checked"})
    assert response.status_code == 302 and response["Location"] == reverse("kyc-list-queue")
    stored = omt.get_client(applicant.id)
    assert stored.kyc_status == 0
    assert stored.approved_by == simulator.login()["account_id"]
    assert stored.approval_date == datetime.now(UTC).date()
    decision = KycReview.objects.get(client_id=applicant.id)
    assert (decision.decision, decision.reviewer, decision.upstream_outcome) == (
        "approved", user, "ok")
    assert decision.reason_text == "passport checked" and decision.kyc_status_before is None
    entry = AuditEntry.objects.get(action="kyc.approve")
    assert entry.before == {"kyc_status": None, "approved_by": None, "approval_date": None}
    assert entry.after["kyc_status"] == 0 and entry.outcome == "ok"
    assert ClientIndex.objects.get(pk=applicant.id).kyc_status == 0
    queue = client.get(response["Location"]).content.decode()
    assert f"KYC of client #{applicant.id} Testa {applicant.family_name} approved." in queue


def test_it_writes_its_own_account_as_approver_without_another_login(as_user, client, omt,
                                                                      applicant, simulator):
    as_user("compliance")
    client.get(review(applicant.id))  # the portal's login is held from here on
    before = simulator.counters()["logins"]
    client.post(approve(applicant.id))
    assert simulator.counters()["logins"] == before
    assert omt.get_client(applicant.id).approved_by == simulator.login()["account_id"]


def test_it_approves_from_the_queue_without_a_reload(as_user, client, omt, applicant):
    as_user("compliance")
    client.get(reverse("kyc-list-queue"))
    response = client.post(approve(applicant.id), headers={
        "HX-Request": "true", "HX-Current-URL": "http://testserver/kyc/?size=200"})
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<section id="kyc-table"')
    assert "approved." in body and f'id="kyc-row-{applicant.id}"' not in body
    assert omt.get_client(applicant.id).kyc_status == 0


def test_it_writes_a_rejection_with_its_reason(as_user, client, omt, applicant):
    user = as_user("compliance")
    response = client.post(reject(applicant.id),
                           {"reason": "name_mismatch", "note": "surname differs"})
    assert response.status_code == 302
    stored = omt.get_client(applicant.id)
    assert (stored.kyc_status, stored.approved_by, stored.approval_date) == (1, None, None)
    decision = KycReview.objects.get(client_id=applicant.id)
    assert (decision.decision, decision.reason_code, decision.reason_text) == (
        "rejected", "name_mismatch", "surname differs")
    assert decision.reviewer == user and decision.reason_label == "Name does not match the document"
    entry = AuditEntry.objects.get(action="kyc.reject")
    assert "Reason: Name does not match the document" in entry.detail
    assert entry.after["kyc_status"] == 1
    page = client.get(reverse("clients-show-client", args=[applicant.id])).content.decode()
    assert "Name does not match the document" in page and "KYC: Rejected" in page


@pytest.mark.parametrize("data,field,message", [
    ({"reason": "other", "note": ""}, "note", "Say why"),
    ({"reason": "because"}, "reason", "Select a valid choice"),
    ({}, "reason", "This field is required"),
])
def test_it_wants_a_known_reason_and_a_note_for_other(as_user, client, omt, applicant, data,
                                                      field, message):
    as_user("compliance")
    response = client.post(reject(applicant.id), data)
    assert response.status_code == 400
    assert message in " ".join(response.context["reject_form"].errors[field])
    assert omt.get_client(applicant.id).kyc_status is None
    assert not KycReview.objects.exists()


def test_it_refuses_approval_by_whoever_last_changed_identity_or_documents(as_user, client,
                                                                          omt, applicant):
    user = as_user("administrator")
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "document_number": "P7654321"})
    page = client.get(review(applicant.id)).content.decode()
    assert "Four eyes: you changed this client's identity or documents" in page
    response = client.post(approve(applicant.id))
    assert response.status_code == 403
    assert "another reviewer must approve them" in response.content.decode()
    assert omt.get_client(applicant.id).kyc_status is None
    refusal = AuditEntry.objects.get(action="kyc.approve")
    assert refusal.outcome == "denied" and refusal.actor == user
    assert not KycReview.objects.exists()


def test_it_refuses_it_from_the_queue_too(as_user, client, omt, make_client):
    as_user("administrator")
    created = client.post(reverse("clients-create-client"), {
        "type": "0", "status": "1", "first_name": "Four", "family_name": "Eyes",
        "email": "four.eyes@example.test", "preferred_group": "6"})
    client_id = int(created["Location"].rstrip("/").rsplit("/", 1)[1])
    response = client.post(approve(client_id), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "Four eyes" in body
    assert omt.get_client(client_id).kyc_status is None


def test_it_lets_another_reviewer_approve_after_an_edit(client, as_user, omt, applicant,
                                                         make_staff):
    as_user("administrator")
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "family_name": "Renamed"})
    client.force_login(make_staff("second", COMPLIANCE))
    assert client.post(approve(applicant.id)).status_code == 302
    assert omt.get_client(applicant.id).kyc_status == 0


def test_it_does_not_count_edits_of_other_fields(as_user, client, omt, applicant):
    as_user("administrator")
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "city": "Birgu", "comment": "called"})
    assert client.post(approve(applicant.id)).status_code == 302
    assert omt.get_client(applicant.id).kyc_status == 0


def test_it_lets_the_editor_reject(as_user, client, omt, applicant):
    as_user("administrator")
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "birth_date": "1980-01-01"})
    client.post(reject(applicant.id), {"reason": "document_unreadable"})
    assert omt.get_client(applicant.id).kyc_status == 1


def test_it_shows_omtraders_refusal_and_keeps_it(as_user, client, omt, applicant, settings):
    settings.KYC_STATUS_CODES = "prose"  # rejection would be written as 2: this upstream refuses
    as_user("compliance")
    response = client.post(reject(applicant.id), {"reason": "sanctions_match"})
    assert response.status_code == 409
    assert "OMTrader refused the decision" in response.content.decode()
    assert omt.get_client(applicant.id).kyc_status is None
    decision = KycReview.objects.get(client_id=applicant.id)
    assert decision.upstream_outcome == "rejected" and decision.kyc_status_written == 2
    assert AuditEntry.objects.get(action="kyc.reject").outcome == "rejected"


def test_it_writes_the_prose_code_for_an_approval(as_user, client, omt, applicant, settings):
    settings.KYC_STATUS_CODES = "prose"
    as_user("compliance")
    client.post(approve(applicant.id))
    assert omt.get_client(applicant.id).kyc_status == 1


def test_it_says_when_omtrader_did_not_answer(as_user, client, omt, applicant, knobs):
    as_user("compliance")
    knobs.fault(method="PUT", path=f"/api/v1/manager/clients/{applicant.id}", status=500)
    response = client.post(approve(applicant.id))
    assert response.status_code == 503
    assert "the decision may or may not have been saved" in response.content.decode()
    assert KycReview.objects.get(client_id=applicant.id).upstream_outcome == "failed"
    assert AuditEntry.objects.get(action="kyc.approve").outcome == "failed"


def test_it_lists_the_decision_history_on_the_review_page(as_user, client, applicant):
    as_user("compliance")
    client.post(reject(applicant.id), {"reason": "document_expired", "note": "old passport"})
    page = client.get(review(applicant.id))
    [shown] = page.context["reviews"]
    assert (shown.get_decision_display(), shown.reason_label, shown.reason_text,
            shown.reviewer_username) == ("Rejected", "Document expired", "old passport", "cora")
    assert "Document expired" in page.content.decode()


def test_it_still_refuses_the_editor_after_someone_else_edits_identity(client, as_user, omt,
                                                                       applicant, make_staff):
    editor = as_user("administrator")
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "document_number": "P7654321"})
    client.force_login(make_staff("second", ADMINISTRATOR))
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "family_name": "Renamed"})
    client.force_login(editor)
    assert client.post(approve(applicant.id)).status_code == 403
    assert omt.get_client(applicant.id).kyc_status is None


def test_it_counts_an_edit_whose_outcome_is_unknown(as_user, client, omt, applicant, knobs):
    as_user("administrator")
    knobs.fault(method="PUT", path="/api/v1/manager/clients/{id}", status=504)
    edit = client.post(reverse("clients-edit-client", args=[applicant.id]),
                       {**form_data(client, applicant.id), "document_number": "P7654321"})
    assert "may or may not have been saved" in edit.content.decode()
    assert AuditEntry.objects.get(action="client.update").outcome == "failed"
    assert client.post(approve(applicant.id)).status_code == 403
    assert omt.get_client(applicant.id).kyc_status is None


def test_it_does_not_count_an_edit_that_never_reached_omtrader(as_user, client, omt, applicant,
                                                              knobs):
    as_user("administrator")
    # 429: OMTrader answered that it did not start the work, so nothing was changed.
    knobs.fault(method="PUT", path="/api/v1/manager/clients/{id}", status=429)
    edit = client.post(reverse("clients-edit-client", args=[applicant.id]),
                       {**form_data(client, applicant.id), "document_number": "P7654321"})
    assert "the change was not saved" in edit.content.decode()
    [entry] = AuditEntry.objects.filter(action="client.update")
    assert (entry.outcome, entry.get_outcome_display()) == ("not_applied", "Not applied")
    assert client.get(review(applicant.id)).context["blocker"] is None
    assert client.post(approve(applicant.id)).status_code == 302
    assert omt.get_client(applicant.id).kyc_status == kyc.code_for(KycReview.Decision.APPROVED)


def test_it_lets_the_editor_decide_again_after_another_reviewer_decided(client, as_user, omt,
                                                                        applicant, make_staff):
    editor = as_user("administrator")
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "document_number": "P7654321"})
    client.force_login(make_staff("second", COMPLIANCE))
    assert client.post(approve(applicant.id)).status_code == 302
    client.force_login(editor)
    assert client.post(approve(applicant.id)).status_code == 302


def test_it_gives_every_element_of_the_review_page_its_own_id(as_user, client, applicant):
    as_user("compliance")
    body = client.get(review(applicant.id)).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert ids and len(ids) == len(set(ids))
    assert '<label for="id_reject_note">' in body and 'id="id_reject_note"' in body


def test_it_disables_approve_in_the_queue_for_clients_the_member_edited(as_user, client, omt,
                                                                         applicant):
    as_user("administrator")
    client.post(reverse("clients-edit-client", args=[applicant.id]),
                {**form_data(client, applicant.id), "document_number": "P7654321"})
    queue = client.get(reverse("kyc-list-queue"), {"size": 200})
    row = next(r for r in queue.context["page"] if r.id == applicant.id)
    assert row.four_eyes
    others = [r for r in queue.context["page"] if r.id != applicant.id]
    assert others and not any(r.four_eyes for r in others)
    body = queue.content.decode()
    form = body[body.index(f'action="{approve(applicant.id)}"'):]
    assert form[:form.index("</form>")].count("disabled") == 1
    refused = client.post(approve(applicant.id), headers={"HX-Request": "true"}).content.decode()
    assert f"client #{applicant.id} {applicant.name}" in refused


def fragment(body: str, opening: str, closing: str) -> str:
    start = body.index(opening)
    return body[start:body.index(closing, start) + len(closing)]


def test_it_shows_fields_and_earlier_decisions_exactly_as_the_client_page_does(
        as_user, client, applicant, settings):
    as_user("compliance")
    reason = settings.KYC_REJECTION_REASONS[0][0]
    client.post(reject(applicant.id), {"reason": reason, "note": "photo blurred"})
    page = client.get(review(applicant.id))
    detail = client.get(reverse("clients-show-client", args=[applicant.id])).content.decode()
    body = page.content.decode()
    keys = [key for key, _, _ in page.context["sections"]]
    assert keys
    for key in keys:
        opening = f'<section class="card" id="section-{key}">'
        assert fragment(body, opening, "</section>") == fragment(detail, opening, "</section>")
    history = '<table class="table">\n  <thead><tr><th>When</th><th>Decision</th>'
    assert "photo blurred" in fragment(body, history, "</table>")
    assert fragment(body, history, "</table>") == fragment(detail, history, "</table>")


def test_it_names_the_reviewer_who_approved_through_the_portal(as_user, client, omt,
                                                               applicant):
    as_user("compliance")
    client.post(approve(applicant.id))
    page = client.get(reverse("clients-show-client", args=[applicant.id]))
    relationship = dict((row["label"], row["value"]) for key, _, rows in page.context["sections"]
                        if key == "relationship" for row in rows)
    own = omt.own_account_id()
    assert relationship["KYC approved by"] == f"cora through CRM Portal (OMTrader user #{own})"
    assert relationship["Created by"].startswith(("CRM Portal", "OMTrader user #"))
