"""The staff management form."""

from __future__ import annotations

from django import forms

from crmportal.staff.roles import ROLES


class StaffForm(forms.Form):
    role = forms.ChoiceField(choices=[("", "Choose a role"), *((name, name) for name in ROLES)])
    all_groups = forms.BooleanField(
        required=False, label="All groups",
        help_text="Sees every OMTrader group, including groups added later.",
    )
    group_ids = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Groups", widget=forms.CheckboxSelectMultiple,
        help_text="Ignored when All groups is ticked. None ticked: the member sees no client.",
    )
    is_active = forms.BooleanField(
        required=False, label="Active", help_text="Untick to stop this member signing in."
    )

    def __init__(self, *args, groups: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group_ids"].choices = groups
