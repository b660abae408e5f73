"""The project's copies of Django's select and input widget templates (templates/django/forms/,
written inline for speed) render exactly what Django's own do."""

from __future__ import annotations

import re

from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer


class Sample(forms.Form):
    country = forms.ChoiceField(choices=[("", "Any country"), ("DE", "Germany"),
                                         ("FR", "France <&>")])
    grouped = forms.ChoiceField(choices=[("Europe", [("1", "One"), ("2", "Two")]),
                                         ("Asia", [("3", "Three")])])
    many = forms.MultipleChoiceField(choices=[(1, "a"), (2, "b"), (3, "c")], required=False)
    name = forms.CharField(max_length=20, widget=forms.TextInput({"placeholder": 'say "hi"',
                                                                 "autofocus": True}))
    born = forms.DateField(required=False, widget=forms.DateInput({"type": "date"}))
    email = forms.EmailField(disabled=True)


def test_it_uses_the_projects_widget_templates():
    assert not isinstance(get_default_renderer(), DjangoTemplates)


def test_they_render_what_djangos_own_templates_render():
    data = {"country": "FR", "grouped": "3", "many": ["1", "3"], "name": "<b>", "born": "",
            "email": "a@example.com"}
    ours = Sample(data)
    djangos = Sample(data, renderer=DjangoTemplates())
    for name in Sample.base_fields:  # the same markup; only the blank lines between differ
        assert _tight(ours[name]) == _tight(djangos[name]), name
    assert 'value="FR" selected' in str(ours["country"])


def _tight(field) -> str:
    return re.sub(r">\s+<", "><", str(field).strip())
