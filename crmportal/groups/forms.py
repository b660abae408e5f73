"""Forms of the groups area: a group's settings, a commission with its tiers (a formset), a
group symbol row, the symbol filters and the commission calculator.

Every check OMTrader makes (as far as the reference and the simulator tell) is made here
first, so bad input gets a message on its field and nothing is sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from crmportal.forms import UpstreamErrors
from crmportal.groups import tiers
from crmportal.groups.conditions import BY_NAME
from crmportal.omtrader.entities import Commission, Group, GroupSymbol
from crmportal.omtrader.enums import choices

MAX_LEVEL = Decimal(100_000)
MAX_LEVERAGE = 5000  # OMTrader's (the simulator's) bound
MAX_LIMIT = 1_000_000_000
STATUSES = ("active", "inactive", "archived")
NUMBER = {"invalid": "Enter a number."}
WHOLE = {"invalid": "Enter a whole number."}
CODE = {"invalid_choice": "%(value)s is not one of the codes offered here."}


def currency_field(required: bool, label: str = "Currency") -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=10,
                           help_text="Three letters, a currency OMTrader knows.")


def check_currency(value: str, known: set[str]) -> str:
    value = (value or "").strip().upper()
    if value and (not value.isalpha() or len(value) != 3):
        raise ValidationError("A currency is three letters, such as USD.")
    if value and known and value not in known:
        raise ValidationError(f"“{value}” is not a currency OMTrader knows "
                              f"({', '.join(sorted(known))}).")
    return value


# -- a group's settings --------------------------------------------------------------------------

class GroupForm(UpstreamErrors, forms.Form):
    desc = forms.CharField(label="Name", max_length=100)
    status = forms.ChoiceField(label="Status")
    group_type = forms.TypedChoiceField(label="Type", coerce=int, error_messages=CODE)
    currency = currency_field(required=True)
    currency_digits = forms.IntegerField(label="Currency digits", required=False, min_value=0,
                                         max_value=8, error_messages=WHOLE)
    default_leverage = forms.IntegerField(
        label="Default leverage", min_value=1, max_value=MAX_LEVERAGE, error_messages={
            **WHOLE, "max_value": f"Leverage above 1:{MAX_LEVERAGE} is not allowed."})
    margin_mode = forms.TypedChoiceField(label="Margin mode", coerce=int, error_messages=CODE)
    margin_call = forms.DecimalField(label="Margin call level", min_value=0,
                                     max_value=MAX_LEVEL, decimal_places=2,
                                     error_messages=NUMBER)
    margin_stop_out = forms.DecimalField(label="Stop-out level", min_value=0,
                                         max_value=MAX_LEVEL, decimal_places=2,
                                         error_messages=NUMBER)
    full_stop_out = forms.BooleanField(label="Full stop-out", required=False)
    compensate_negative_balance = forms.BooleanField(label="Compensate negative balance",
                                                     required=False)
    limit_history = forms.IntegerField(required=False, min_value=0, max_value=MAX_LIMIT,
                                       error_messages=WHOLE)
    limit_orders = forms.IntegerField(required=False, min_value=0, max_value=MAX_LIMIT,
                                      error_messages=WHOLE)
    limit_positions = forms.IntegerField(required=False, min_value=0, max_value=MAX_LIMIT,
                                         error_messages=WHOLE)
    limit_positions_volume = forms.IntegerField(required=False, min_value=0,
                                                max_value=MAX_LIMIT, error_messages=WHOLE)
    limit_symbols = forms.IntegerField(required=False, min_value=0, max_value=MAX_LIMIT,
                                       error_messages=WHOLE)
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    NULLABLE = ("currency_digits", "limit_history", "limit_orders", "limit_positions",
                "limit_positions_volume", "limit_symbols")

    def __init__(self, data=None, *, group: Group, currencies: set[str]):
        super().__init__(data, initial=initial_of(group))
        self.group, self.currencies = group, currencies
        statuses = list(STATUSES)
        if group.status and group.status not in statuses:
            statuses.append(group.status)
        self.fields["status"].choices = [(s, s.capitalize()) for s in statuses]
        self.fields["group_type"].choices = choices("ModelGroupType")
        self.fields["margin_mode"].choices = choices("ModelMarginMode")
        for name, field in self.fields.items():
            if name in BY_NAME:
                field.label = BY_NAME[name].label
            if name in self.NULLABLE:
                field.help_text = "Leave empty to inherit it (limits: no limit)."

    def clean_currency(self) -> str:
        return check_currency(self.cleaned_data.get("currency"), self.currencies)

    def clean(self):
        data = super().clean()
        call, stop = data.get("margin_call"), data.get("margin_stop_out")
        if call is not None and stop is not None and stop > call:
            self.add_error("margin_stop_out", f"The stop-out level ({stop}) must not be above "
                                              f"the margin-call level ({call}).")
        return data

    def changes(self) -> dict[str, Any]:
        before = initial_of(self.group)
        return {name: value for name, value in self.cleaned_data.items()
                if name != "version" and value != before.get(name)}


def initial_of(group: Group) -> dict[str, Any]:
    values = {name: getattr(group, name) for name in BY_NAME}
    for name in ("group_type", "margin_mode"):
        values[name] = values[name].code if values[name] is not None else None
    for name in ("margin_call", "margin_stop_out"):  # 100.0 -> 100 in the field
        value = values[name]
        if value is not None and value == value.to_integral_value():
            values[name] = value.quantize(Decimal(1))
    values["version"] = group.updated_at.isoformat() if group.updated_at else ""
    return values


# -- commissions and tiers ---------------------------------------------------------------------

def _code_choices(table: dict[int, str], current: int | None) -> list[tuple[int, str]]:
    options = sorted(table.items())
    if current is not None and current not in table:
        options.append((current, tiers.UNKNOWN.format(code=current)))
    return options


class CommissionForm(UpstreamErrors, forms.Form):
    name = forms.CharField(max_length=100)
    desc = forms.CharField(label="Description", max_length=500, required=False)
    symbol_class_id = forms.TypedChoiceField(label="Symbol class", coerce=int, error_messages=CODE)
    mode_entry = forms.TypedChoiceField(label="Charged", coerce=int, error_messages=CODE)
    mode_action = forms.TypedChoiceField(label="Applies to", coerce=int, error_messages=CODE)
    mode = forms.IntegerField(label="Mode (code)", required=False, min_value=0, max_value=999,
                              error_messages=WHOLE)
    mode_range = forms.IntegerField(label="Range mode (code)", required=False, min_value=0,
                                    max_value=999, error_messages=WHOLE)
    mode_charge = forms.IntegerField(label="Charge mode (code)", required=False, min_value=0,
                                     max_value=999, error_messages=WHOLE)
    mode_profit = forms.IntegerField(label="Profit mode (code)", required=False, min_value=0,
                                     max_value=999, error_messages=WHOLE)
    mode_reason = forms.IntegerField(label="Reason mode (code)", required=False, min_value=0,
                                     max_value=999, error_messages=WHOLE)

    RAW_CODES = ("mode", "mode_range", "mode_charge", "mode_profit", "mode_reason")

    def __init__(self, data=None, *, commission: Commission | None, classes: dict[int, str]):
        initial = {name: getattr(commission, name) for name in self.base_fields} \
            if commission else {"symbol_class_id": 0, "mode_entry": 0, "mode_action": 0}
        super().__init__(data, initial=initial)
        current = initial.get("symbol_class_id")
        self.fields["symbol_class_id"].choices = _code_choices(
            {0: "Every class", **classes}, current)
        self.fields["mode_entry"].choices = _code_choices(tiers.MODE_ENTRY,
                                                          initial.get("mode_entry"))
        self.fields["mode_action"].choices = _code_choices(tiers.MODE_ACTION,
                                                           initial.get("mode_action"))
        for name in self.RAW_CODES:
            self.fields[name].help_text = "OMTrader does not document these codes: a number."


class TierForm(forms.Form):
    type = forms.TypedChoiceField(label="Fee type", coerce=int, error_messages=CODE)
    value = forms.DecimalField(label="Fee", min_value=0, max_digits=18, decimal_places=8,
                               error_messages=NUMBER)
    range_from = forms.DecimalField(label="From (lots)", min_value=0, required=False,
                                    max_digits=18, decimal_places=8, error_messages=NUMBER)
    range_to = forms.DecimalField(label="To (lots)", min_value=0, required=False, max_digits=18,
                                  decimal_places=8, error_messages=NUMBER,
                                  help_text="Empty or 0: no upper bound.")
    min = forms.DecimalField(label="Min", min_value=0, required=False, max_digits=18,
                             decimal_places=8, error_messages=NUMBER)
    max = forms.DecimalField(label="Max", min_value=0, required=False, max_digits=18,
                             decimal_places=8, error_messages=NUMBER)
    currency = currency_field(required=False)
    mode = forms.IntegerField(label="Tier mode (code)", required=False, min_value=0,
                              max_value=999, error_messages=WHOLE)

    def __init__(self, *args, currencies: set[str] = frozenset(),
                 stored_types: frozenset[int] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.currencies = currencies
        # Codes the commission already uses stay choosable, so it can still be edited.
        choices_ = dict(_code_choices(tiers.TIER_TYPES, None))
        for code in stored_types:
            choices_.setdefault(code, tiers.UNKNOWN.format(code=code))
        self.fields["type"].choices = sorted(choices_.items())

    def clean_currency(self) -> str:
        return check_currency(self.cleaned_data.get("currency"), self.currencies)

    def clean(self):
        data = super().clean()
        low, high = data.get("range_from") or Decimal(0), data.get("range_to")
        if high and high <= low:
            self.add_error("range_to", "“To” must be greater than “From”.")
        low_fee, high_fee = data.get("min"), data.get("max")
        if low_fee and high_fee and low_fee > high_fee:
            self.add_error("max", "Max must not be below min.")
        return data


class BaseTierFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": f"A commission may have at most {tiers.MAX_TIERS} tiers.",
        "too_few_forms": "Add at least one tier.",
    }

    def __init__(self, *args, currencies: set[str] = frozenset(),
                 stored_types: frozenset[int] = frozenset(), **kwargs):
        self.currencies, self.stored_types = currencies, stored_types
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"currencies": self.currencies, "stored_types": self.stored_types}

    def filled(self) -> list[TierForm]:
        """The rows that hold a tier, in order (empty added rows are skipped)."""
        return [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]

    def clean(self):
        if any(self.errors):
            return
        spans = []
        for number, form in enumerate(self.filled(), start=1):
            low = form.cleaned_data.get("range_from") or Decimal(0)
            high = form.cleaned_data.get("range_to") or None
            spans.append((low, high, number))
        spans.sort(key=lambda s: s[0])
        for (_, high, number), (next_low, _, next_number) in zip(spans, spans[1:], strict=False):
            if high is None or next_low < high:
                raise ValidationError(
                    f"Tiers {number} and {next_number} overlap: tier {number} runs "
                    f"{'with no upper bound' if high is None else f'to {high}'} and tier "
                    f"{next_number} starts at {next_low}. Each volume must fall in one tier.")

    def tiers(self) -> list[dict[str, Any]]:
        rows = []
        for form in self.filled():
            row = {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            rows.append({k: (Decimal(0) if v is None and k in ("range_from", "range_to", "min",
                                                               "max") else v)
                         for k, v in row.items()})
        return rows

    def add_upstream_errors(self, field_errors: dict[str, str]) -> dict[str, str]:
        """Put `commission_tiers[i].field` messages on row i's field (i counts the rows sent);
        return the messages that are not about a tier."""
        rest, rows = {}, self.filled()
        for key, text in field_errors.items():
            index, name = _tier_key(key)
            if index is not None and index < len(rows):
                form = rows[index]
                form.add_error(name if name in form.fields else None, f"OMTrader: {text}")
            else:
                rest[key] = text
        return rest


def _tier_key(key: str) -> tuple[int | None, str]:
    """"commission_tiers[0].value" -> (0, "value"); anything else -> (None, key)."""
    for prefix in ("commission_tiers[", "tiers["):
        if key.startswith(prefix) and "]" in key:
            number, _, rest = key[len(prefix):].partition("]")
            if number.isdigit():
                return int(number), rest.lstrip(".")
    return None, key


TierFormSet = formset_factory(TierForm, formset=BaseTierFormSet, extra=0,
                              max_num=tiers.MAX_TIERS, absolute_max=tiers.MAX_TIERS,
                              validate_max=True)
TIER_PREFIX = "tiers"


def tier_initial(commission: Commission | None) -> list[dict[str, Any]]:
    if commission is None:
        return [{"type": tiers.PER_LOT}]
    return [{name: getattr(tier, name) for name in TierForm.base_fields}
            for tier in commission.tiers]


def edit_rows(data, op: str) -> list[dict[str, str]]:
    """The tier rows as posted, with one added ("add") or one removed ("remove-N"): for the
    htmx add / remove buttons, which re-render the rows without saving anything."""
    rows = []
    try:
        total = min(int(data.get(f"{TIER_PREFIX}-TOTAL_FORMS", 0)), tiers.MAX_TIERS)
    except (TypeError, ValueError):
        total = 0
    for i in range(max(total, 0)):
        rows.append({name: data.get(f"{TIER_PREFIX}-{i}-{name}", "")
                     for name in TierForm.base_fields})
    if op == "add" and len(rows) < tiers.MAX_TIERS:
        rows.append({"type": tiers.PER_LOT})
    elif op.startswith("remove-") and op[7:].isdigit() and int(op[7:]) < len(rows):
        rows.pop(int(op[7:]))
    return rows


# -- group symbols ---------------------------------------------------------------------------------

class GroupSymbolForm(UpstreamErrors, forms.Form):
    enabled = forms.BooleanField(required=False)
    spread = forms.IntegerField(min_value=0, max_value=1_000_000, error_messages=WHOLE)
    spread_balance = forms.IntegerField(min_value=-1_000_000, max_value=1_000_000,
                                        error_messages=WHOLE)
    swap_long = forms.DecimalField(max_digits=18, decimal_places=8, error_messages=NUMBER)
    swap_short = forms.DecimalField(max_digits=18, decimal_places=8, error_messages=NUMBER)
    margin_initial = forms.DecimalField(max_digits=18, decimal_places=8, error_messages=NUMBER)
    margin_maintenance = forms.DecimalField(max_digits=18, decimal_places=8,
                                            error_messages=NUMBER)
    commission_id = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                           error_messages=CODE)
    trade_level = forms.TypedChoiceField(coerce=int, error_messages=CODE)

    def __init__(self, data=None, *, row: GroupSymbol, commissions: list[Commission]):
        initial = {name: getattr(row, name) for name in self.base_fields}
        initial["trade_level"] = row.trade_level.code if row.trade_level else 0
        super().__init__(data, initial=initial, prefix=f"gs{row.id}")
        self.row = row
        self.fields["commission_id"].choices = [("", "None")] + [
            (c.id, f"#{c.id} {c.name}") for c in commissions]
        self.fields["trade_level"].choices = choices("ModelTradeLevel")

    def _positive(self, name: str):
        value = self.cleaned_data.get(name)
        if value is not None and value <= 0:
            raise ValidationError("Must be above 0.")
        return value

    def clean_margin_initial(self):
        return self._positive("margin_initial")

    def clean_margin_maintenance(self):
        return self._positive("margin_maintenance")

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items()
                if value != self.initial.get(name)}


# -- lists and the calculator --------------------------------------------------------------------

class SymbolFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    cls = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Class")
    enabled = forms.ChoiceField(required=False, label="Enabled",
                                choices=[("", "Any"), ("yes", "Enabled"), ("no", "Disabled")])

    def __init__(self, data, classes: dict[int, str]):
        super().__init__(data)
        self.fields["cls"].choices = [("", "Every class")] + sorted(classes.items())

    def parse(self) -> tuple[dict[str, Any], list[str]]:
        """The filters, and a notice for each one that was dropped as nonsense."""
        notices = []
        self.is_valid()
        for name in self.errors:
            raw = str(self.data.get(name, ""))[:30]
            notices.append(f"The filter “{raw}” for {self.fields[name].label.lower()} is not "
                           "offered; it was ignored.")
        return {n: self.cleaned_data.get(n) for n in self.fields if n not in self.errors}, notices


class CalculatorForm(forms.Form):
    volume = forms.DecimalField(label="Volume (lots)", min_value=0, max_value=10**9,
                                max_digits=18, decimal_places=8, error_messages=NUMBER)
    notional = forms.DecimalField(label="Notional", required=False, min_value=0,
                                  max_value=10**15, max_digits=24, decimal_places=8,
                                  error_messages=NUMBER,
                                  help_text="Needed for percentage tiers.")
