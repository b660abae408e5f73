from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from crmportal.audit.models import AuditEntry

DATE_INPUT = forms.DateInput({"type": "date"})


class AuditFilterForm(forms.Form):
    staff = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        to_field_name="username",
        empty_label="Anyone",
    )
    entity_type = forms.CharField(required=False, max_length=32, label="Entity")
    entity_id = forms.CharField(required=False, max_length=64, label="Entity id")
    action = forms.CharField(required=False, max_length=64)
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditEntry.Outcome.choices]
    )
    date_from = forms.DateField(required=False, label="From", widget=DATE_INPUT)
    date_to = forms.DateField(required=False, label="To", widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filter(self, entries):
        data = self.cleaned_data
        if data.get("staff"):
            entries = entries.filter(actor_username=data["staff"].username)
        if data.get("entity_type"):
            entries = entries.filter(entity_type=data["entity_type"])
        if data.get("entity_id"):
            entries = entries.filter(entity_id=data["entity_id"])
        if data.get("action"):
            entries = entries.filter(action__startswith=data["action"])
        if data.get("outcome"):
            entries = entries.filter(outcome=data["outcome"])
        if data.get("date_from"):
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data.get("date_to"):
            entries = entries.filter(created_at__date__lte=data["date_to"])
        return entries
