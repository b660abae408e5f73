"""Forms of the clients area: the list's filters, the client form, the KYC decisions."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from crmportal.clients import kyc
from crmportal.clients.fields import EDITABLE, FIELDS, SECTIONS, SENSITIVE
from crmportal.clients.index import digits
from crmportal.clients.models import ClientIndex, ClientIndexGroup, KycReview
from crmportal.forms import IndexFilterForm, UpstreamErrors, recent_choices, since, sort_choices
from crmportal.omtrader.entities import Client, Group
from crmportal.omtrader.enums import EnumValue, choices

DATE_INPUT = forms.DateInput({"type": "date"}, format="%Y-%m-%d")
PHONE = re.compile(r"^[0-9 +().\-/]*$")

# Sort key -> index columns. The id breaks ties, so the list and its export agree row by row.
SORTS = {
    "id": ("id",),
    "name": ("family_name", "first_name"),
    "status": ("status",),
    "kyc": ("kyc_status",),
    "type": ("type",),
    "country": ("country",),
    "manager": ("manager_id",),
    "accounts": ("accounts",),
    "created": ("created_at",),
    "expiry": ("expiry_date",),
}
DEFAULT_SORT = "-id"
def _enum_choices(kind: str, empty: str) -> list[tuple[Any, str]]:
    return [("", empty), *choices(kind)]


class ClientFilterForm(IndexFilterForm):
    """The clients list's query string."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None,
        choices=_enum_choices("ModelClientStatus", "Any status"))
    kyc = forms.ChoiceField(
        required=False, label="KYC",
        choices=[("", "Any KYC"), *kyc.STATES.items()])
    type = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None,
        choices=_enum_choices("ModelClientType", "Any type"))
    manager = forms.IntegerField(required=False, min_value=0, max_value=2**62)
    country = forms.CharField(required=False, max_length=200)
    lead_source = forms.CharField(required=False, max_length=200, label="Lead source")
    lead_campaign = forms.CharField(required=False, max_length=200, label="Campaign")
    group = forms.IntegerField(required=False, min_value=0, max_value=2**62)
    registered = forms.ChoiceField(required=False, label="Registered",
                                   choices=recent_choices("Any time", "Registered"))
    accounts = forms.ChoiceField(required=False, label="Accounts", choices=[
        ("", "Any"), ("none", "Without an account"),
        ("some", "With an account")])
    rejected = forms.ChoiceField(required=False, label="KYC rejected",
                                 choices=recent_choices("Any time or never", "Rejected"))
    reason = forms.ChoiceField(required=False, label="Rejected for", choices=lambda: [
        ("", "Any reason"), *settings.KYC_REJECTION_REASONS])
    sort = forms.ChoiceField(required=False, choices=sort_choices(SORTS))

    SORTS = SORTS
    FILTERS = ("status", "kyc", "type", "manager", "country", "lead_source", "lead_campaign",
               "group", "registered", "accounts", "rejected", "reason")
    # The filters whose values come from the member's clients (offer()), and what "any" reads.
    OFFERED = {"manager": "Any manager", "group": "Any group", "country": "Any country",
               "lead_source": "Any source", "lead_campaign": "Any campaign"}
    # In the order the filter bar shows them.
    SELECTS = ("status", "kyc", "type", "manager", "group", "country", "lead_source",
               "lead_campaign", "registered", "accounts", "rejected", "reason")

    def offer(self, options: dict[str, list[tuple[Any, str]]]) -> None:
        """Make each offered filter a select of `options[name]` (value, label) pairs."""
        for name, offered in options.items():
            self.fields[name].widget = forms.Select(choices=[("", self.OFFERED[name]), *offered])

    def filter(self, rows: QuerySet[ClientIndex]) -> QuerySet[ClientIndex]:
        data = self.cleaned_data
        for name, column in (("status", "status"), ("type", "type"), ("manager", "manager_id"),
                             ("country", "country"), ("lead_source", "lead_source"),
                             ("lead_campaign", "lead_campaign")):
            if data.get(name) not in (None, ""):
                rows = rows.filter(**{column: data[name]})
        if data.get("kyc"):
            rows = rows.filter(kyc.state_q(data["kyc"]))
        if data.get("group") is not None:
            in_group = ClientIndexGroup.objects.filter(group_id=data["group"]).values("client_id")
            rows = rows.filter(Q(preferred_group=data["group"]) | Q(id__in=in_group))
        if data.get("registered"):
            rows = rows.filter(created_at__gte=since(data["registered"]))
        if data.get("accounts") == "none":
            rows = rows.filter(accounts=0)
        elif data.get("accounts") == "some":
            rows = rows.filter(accounts__gt=0)
        if data.get("rejected") or data.get("reason"):
            start = since(data["rejected"]) if data.get("rejected") else None
            rows = rows.filter(id__in=rejections(start, data.get("reason")).values("client_id"))
        return search(rows, data.get("q", ""))


def rejections(start=None, reason: str = "") -> QuerySet[KycReview]:
    """The KYC rejections the portal wrote to OMTrader (since `start`, for `reason`)."""
    rows = KycReview.objects.filter(decision=KycReview.Decision.REJECTED,
                                    upstream_outcome=KycReview.Outcome.OK)
    if start is not None:
        rows = rows.filter(decided_at__gte=start)
    return rows.filter(reason_code=reason) if reason else rows


def search(rows: QuerySet[ClientIndex], text: str) -> QuerySet[ClientIndex]:
    """Every word must appear in the name, e-mail, external id or phone digits. A number
    also finds the client with that id; a phone number matches on its digits alone."""
    text = (text or "").strip().lower()
    if not text:
        return rows
    if PHONE.match(text) and len(digits(text)) >= 4:
        condition = Q(search_text__contains=digits(text))
        if text.isdigit():
            condition |= Q(id=int(text[:18]))
        return rows.filter(condition)
    if text.isdigit() or (text.startswith("#") and text[1:].isdigit()):
        return rows.filter(id=int(text.lstrip("#")[:18]))
    for word in text.split()[:8]:
        rows = rows.filter(search_text__contains=word)
    return rows


class ClientForm(UpstreamErrors, forms.Form):
    """Create or edit a client, validated the way OMTrader validates it."""

    version = forms.CharField(required=False, widget=forms.HiddenInput)

    REQUIRED = frozenset({"first_name", "family_name", "email", "type", "status"})

    def __init__(self, *args, groups: list[Group], may_see_sensitive: bool,
                 scope: frozenset[int] | None, client: Client | None = None, **kwargs):
        self.client = client
        self.may_see_sensitive = may_see_sensitive
        if client is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(client, may_see_sensitive)
        elif client is None:
            kwargs.setdefault("initial", {"type": 0, "status": 1})
        super().__init__(*args, **kwargs)
        for name in EDITABLE:
            self.fields[name] = _form_field(name, groups, scope, client)
        if scope is not None:
            self.fields["preferred_group"].required = True
        if client is not None and not may_see_sensitive:
            for name in SENSITIVE:
                field = self.fields[name]
                field.widget.attrs["placeholder"] = "Hidden: type a new value to replace it"
                field.help_text = "Your role cannot see this value; leave empty to keep it."

    def sections(self):
        for key, title, fields in SECTIONS:
            bound = [self[f.name] for f in fields if f.name in self.fields]
            if bound:
                yield key, title, bound

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError("A birth date cannot be in the future.")
        if value and value.year < 1900:
            raise forms.ValidationError("Enter a birth date after 1900.")
        return value

    def clean_issue_date(self):
        value = self.cleaned_data.get("issue_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError("An issue date cannot be in the future.")
        return value

    def clean_last_contact_date(self):
        value = self.cleaned_data.get("last_contact_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError("The last contact cannot be in the future.")
        return value

    def clean_mobile(self):
        return _phone(self.cleaned_data.get("mobile", ""))

    def clean_local_number(self):
        return _phone(self.cleaned_data.get("local_number", ""))

    def clean(self):
        cleaned = super().clean()
        issue, expiry = cleaned.get("issue_date"), cleaned.get("expiry_date")
        if issue and expiry and expiry <= issue:
            self.add_error("expiry_date", "The expiry date must be after the issue date.")
        return cleaned

    def values(self) -> dict[str, Any]:
        """Every editable value for a create (empty optional values left out)."""
        return {name: value for name, value in self._typed().items()
                if value not in (None, "")}

    def changes(self) -> dict[str, Any]:
        """Only what differs from the client being edited (hidden values left blank stay)."""
        current = initial_of(self.client, may_see_sensitive=True)
        changed = {}
        for name, value in self._typed().items():
            if name in SENSITIVE and not self.may_see_sensitive and value == "":
                continue
            if _same(current.get(name), value):
                continue
            changed[name] = value
        return changed

    def _typed(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in EDITABLE}


def initial_of(client: Client, may_see_sensitive: bool) -> dict[str, Any]:
    values = {}
    for name in EDITABLE:
        value = getattr(client, name)
        if isinstance(value, EnumValue):
            value = value.code
        if name in SENSITIVE and not may_see_sensitive:
            value = ""
        values[name] = value
    values["version"] = client.updated_at.isoformat() if client.updated_at else ""
    return values


def _same(old: Any, new: Any) -> bool:
    if old in (None, "") and new in (None, ""):
        return True
    return old == new


def _phone(value: str) -> str:
    value = (value or "").strip()
    if value and (not PHONE.match(value) or len(digits(value)) < 5):
        raise forms.ValidationError("Enter a phone number: digits, spaces, + ( ) - only.")
    return value


def _form_field(name: str, groups: list[Group], scope: frozenset[int] | None,
                client: Client | None) -> forms.Field:
    spec = FIELDS[name]
    required = name in ClientForm.REQUIRED
    label = spec.label
    if spec.kind == "enum":
        return forms.TypedChoiceField(
            label=label, required=required, coerce=int, empty_value=None,
            choices=([] if required else [("", "—")]) + choices(spec.enum))
    if spec.kind == "group":
        current = client.preferred_group if client else None
        options = [(g.id, f"{g.name} (#{g.id})") for g in groups
                   if scope is None or g.id in scope or g.id == current]
        if current is not None and current not in {g for g, _ in options}:
            options.append((current, f"Group #{current}"))
        return forms.TypedChoiceField(label=label, required=False, coerce=int,
                                      empty_value=None, choices=[("", "—"), *options])
    if spec.kind == "manager":
        return forms.IntegerField(label=label, required=False, min_value=0, max_value=2**31,
                                  help_text="The OMTrader user id of the account manager.")
    if spec.kind == "date":
        return forms.DateField(label=label, required=False, widget=DATE_INPUT)
    if spec.kind == "money":
        return forms.DecimalField(label=label, required=False, min_value=0, max_digits=18,
                                  decimal_places=2)
    if spec.kind == "email":
        return forms.EmailField(label=label, required=required, max_length=254)
    if spec.kind == "long":
        return forms.CharField(label=label, required=False, max_length=4000,
                               widget=forms.Textarea({"rows": 3}))
    return forms.CharField(label=label, required=required, max_length=200)


class KycApproveForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, label="Note (optional)",
                           widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, **kwargs):
        # Both decision forms share a page and a field name: ids must differ.
        super().__init__(*args, auto_id="id_approve_%s", **kwargs)


class KycRejectForm(forms.Form):
    reason = forms.ChoiceField(label="Reason")
    note = forms.CharField(required=False, max_length=2000, label="Note",
                           widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_reject_%s", **kwargs)
        self.fields["reason"].choices = [("", "Choose a reason"),
                                         *settings.KYC_REJECTION_REASONS]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == "other" and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why: the reason is “Other”.")
        return cleaned
