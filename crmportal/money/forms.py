"""Forms of the money area: the operation, the checker's decision, the movements filter."""

from __future__ import annotations

from django import forms

from crmportal.money import rules

DATE_INPUT = forms.DateInput({"type": "date"}, format="%Y-%m-%d")


class OperationForm(forms.Form):
    type = forms.ChoiceField(label="Operation", choices=list(rules.TYPES.items()))
    # Text, not a number field: the amount is read exactly (Decimal) and every wrong form of
    # it gets its own message (rules.parse_amount).
    amount = forms.CharField(max_length=40, error_messages={"required": "Enter an amount."},
                             widget=forms.TextInput({"inputmode": "decimal",
                                                                    "autocomplete": "off"}))
    comment = forms.CharField(required=False, max_length=160,
                              help_text="Stored in OMTrader with the operation's reference.")

    def __init__(self, *args, digits: int = 2, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.digits = digits
        self.fields["amount"].label = f"Amount ({currency})" if currency else "Amount"
        self.fields["amount"].help_text = (f"Above 0, at most {digits} decimal"
                                           f"{'s' if digits != 1 else ''}.")

    def clean_amount(self):
        try:
            return rules.parse_amount(self.cleaned_data["amount"], self.digits)
        except rules.BadAmount as error:
            raise forms.ValidationError(str(error)) from None

    def clean_comment(self):
        comment = self.cleaned_data["comment"].strip()
        if "[" in comment or "]" in comment:
            raise forms.ValidationError("Square brackets are kept for the portal's reference.")
        return comment


class DecisionForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Reason",
                             widget=forms.TextInput())


class RejectForm(DecisionForm):
    reason = forms.CharField(max_length=500, label="Reason",
                             error_messages={"required": "Say why the request is rejected."})


class MovementFilterForm(forms.Form):
    """The movements list's query string; values that make no sense are dropped with a notice."""

    account = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    type = forms.ChoiceField(required=False, choices=[("", "Any operation"),
                                                      *rules.TYPES.items()])
    date_from = forms.DateField(required=False, label="From", widget=DATE_INPUT)
    date_to = forms.DateField(required=False, label="To", widget=DATE_INPUT)

    @classmethod
    def parse(cls, query) -> tuple[MovementFilterForm, list[str]]:
        form = cls(query)
        notices = []
        if not form.is_valid():
            for name, errors in form.errors.items():
                value = str(query.get(name, ""))[:30]
                notices.append(f"Ignored {form.fields[name].label or name} “{value}”: "
                               f"{errors[0]}")
            clean = {k: v for k, v in query.items() if k not in form.errors}
            form = cls(clean)
            form.is_valid()
        data = form.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            notices.append("“From” was after “To”: the two dates were swapped.")
            data["date_from"], data["date_to"] = data["date_to"], data["date_from"]
        return form, notices

    def state(self) -> dict[str, str]:
        return {name: (value.isoformat() if hasattr(value, "isoformat") else str(value))
                for name, value in self.cleaned_data.items() if value not in (None, "")}
