"""Forms of the accounts area: the list's filters, open an account, edit it, reset a
password."""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from crmportal.accounts.models import AccountIndex
from crmportal.forms import IndexFilterForm, UpstreamErrors, recent_choices, since, sort_choices
from crmportal.omtrader.entities import Client, Group, TradingAccount
from crmportal.omtrader.enums import choices

# Sort key -> index columns; the id breaks ties, so the list and its export agree row by row.
SORTS = {
    "id": ("id",), "client": ("client_id",), "username": ("username",),
    "group": ("group_id",), "currency": ("currency",), "leverage": ("leverage",),
    "balance": ("balance",), "credit": ("credit",), "equity": ("equity",),
    "margin": ("margin",), "free": ("margin_free",), "level": ("margin_level",),
    "profit": ("profit",), "status": ("liquidation_status",),
}
DEFAULT_SORT = "-id"
MONEY_LIMIT = Decimal("1e15")
YES_NO = [("", "Any"), ("yes", "With open positions"), ("no", "Without open positions")]


def _money_field(label: str, minimum: Decimal = -MONEY_LIMIT) -> forms.DecimalField:
    return forms.DecimalField(required=False, label=label, max_digits=24, decimal_places=8,
                              min_value=minimum, max_value=MONEY_LIMIT)


class AccountFilterForm(IndexFilterForm):
    """The account list's query string."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    group = forms.IntegerField(required=False, min_value=0, max_value=2**62)
    currency = forms.CharField(required=False, max_length=16)
    trade_type = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Trade type",
        choices=[("", "Any type"), *choices("ModelTradeType")])
    liquidation = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="State",
        choices=[("", "Any state"), *choices("ModelLiqudationStatus")])
    positions = forms.ChoiceField(required=False, choices=YES_NO, label="Positions")
    level_below = _money_field("Margin level below (%)")
    balance_min = _money_field("Balance from")
    balance_max = _money_field("Balance to")
    opened = forms.ChoiceField(required=False, label="Opened",
                               choices=recent_choices("Any time", "Opened"))
    sort = forms.ChoiceField(required=False, choices=sort_choices(SORTS))

    SORTS = SORTS
    FILTERS = ("group", "currency", "trade_type", "liquidation", "positions", "level_below",
               "balance_min", "balance_max", "opened")
    SELECTS = ("group", "currency", "trade_type", "liquidation", "positions", "opened")
    NUMBERS = ("level_below", "balance_min", "balance_max")

    def offer(self, groups: list[tuple[int, str]], currencies: list[str]) -> None:
        self.fields["group"].widget = forms.Select(choices=[("", "Any group"), *groups])
        self.fields["currency"].widget = forms.Select(
            choices=[("", "Any currency"), *((c, c) for c in currencies)])

    def numbers(self) -> list[forms.BoundField]:
        return [self[name] for name in self.NUMBERS]

    def filter(self, rows: QuerySet[AccountIndex]) -> QuerySet[AccountIndex]:
        data = self.cleaned_data
        for name, column in (("group", "group_id"), ("currency", "currency"),
                             ("trade_type", "trade_type"), ("liquidation", "liquidation_status"),
                             ("balance_min", "balance__gte"), ("balance_max", "balance__lte")):
            if data.get(name) not in (None, ""):
                rows = rows.filter(**{column: data[name]})
        if data.get("level_below") is not None:
            # A level of 0 with no margin means "no positions", not "below every limit".
            rows = rows.filter(margin__gt=0, margin_level__lt=data["level_below"])
        if data.get("positions") == "yes":
            rows = rows.filter(margin__gt=0)
        elif data.get("positions") == "no":
            rows = rows.exclude(margin__gt=0)
        if data.get("opened"):
            rows = rows.filter(created_at__gte=since(data["opened"]))
        return search(rows, data.get("q", ""))


def search(rows: QuerySet[AccountIndex], text: str) -> QuerySet[AccountIndex]:
    """Every word must appear in the account id, username, holder name, e-mail or client
    name; a number also finds the account with that id and the accounts of that client."""
    text = (text or "").strip().lower()
    if not text:
        return rows
    number = text.lstrip("#")
    if number.isdigit():
        value = int(number[:18])
        return rows.filter(id=value) | rows.filter(client_id=value) | rows.filter(
            username=number)
    for word in text.split()[:8]:
        rows = rows.filter(search_text__contains=word)
    return rows


# -- open and edit -----------------------------------------------------------------------------

PERSONAL = ("first_name", "middle_name", "family_name", "company", "email", "phone", "country",
            "state", "city", "zip_code", "address")
LIMITS = ("max_day_loss", "max_day_profit", "max_week_loss", "max_week_profit",
          "max_month_loss", "max_month_profit")
PASSWORDS = ("user_password", "investor_password")
PASSWORD_RULE = "At least 8 characters (OMTrader's rule)."
SECRET = "[redacted]"
_ALPHABET = string.ascii_letters + string.digits


def generate_password() -> str:
    """12 characters with a lower-case letter, an upper-case letter and a digit."""
    while True:
        word = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        if any(c.islower() for c in word) and any(c.isupper() for c in word) and any(
                c.isdigit() for c in word):
            return word


def _password_fields(form: forms.Form, name: str, label: str, required: bool) -> None:
    form.fields[f"{name}_mode"] = forms.ChoiceField(
        label=f"{label}", choices=[("generate", "Generate one"), ("type", "Type one")],
        initial="generate", widget=forms.RadioSelect, required=required)
    form.fields[name] = forms.CharField(
        label=f"{label} (typed)", required=False, min_length=8, max_length=128, strip=False,
        help_text=PASSWORD_RULE,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False))


def _chosen_password(form: forms.Form, name: str) -> str | None:
    """The typed password, a generated one, or None when the mode is not set (edit)."""
    mode = form.cleaned_data.get(f"{name}_mode")
    if mode == "generate":
        return generate_password()
    if mode == "type":
        typed = form.cleaned_data.get(name) or ""
        if len(typed) < 8:
            form.add_error(name, "Type a password of at least 8 characters, or generate one.")
            return None
        return typed
    return None


def _group_choices(groups: list[Group]) -> list[tuple[int, str]]:
    return [(g.id, f"{g.name} ({g.currency}, 1:{g.default_leverage or '?'})") for g in groups]


class AccountForm(UpstreamErrors, forms.Form):
    """Open an account for a client (create) or edit one (account given)."""

    group_id = forms.TypedChoiceField(coerce=int, label="Group")
    leverage = forms.IntegerField(required=False, min_value=1, max_value=5000,
                                  help_text="1:x. Empty: the group's default leverage.")
    username = forms.CharField(required=False, max_length=64,
                               help_text="The login name. Empty: OMTrader chooses one.")
    first_name = forms.CharField(required=False, max_length=200, label="First name")
    middle_name = forms.CharField(required=False, max_length=200, label="Middle name")
    family_name = forms.CharField(required=False, max_length=200, label="Family name")
    company = forms.CharField(required=False, max_length=200)
    email = forms.EmailField(required=False, max_length=200, label="E-mail")
    phone = forms.CharField(required=False, max_length=64)
    country = forms.CharField(required=False, max_length=64)
    state = forms.CharField(required=False, max_length=200)
    city = forms.CharField(required=False, max_length=200)
    zip_code = forms.CharField(required=False, max_length=32, label="Postcode")
    address = forms.CharField(required=False, max_length=400)
    enable_risk_management = forms.BooleanField(required=False,
                                                label="Risk management limits on")
    max_day_loss = _money_field("Max day loss", Decimal(0))
    max_day_profit = _money_field("Max day profit", Decimal(0))
    max_week_loss = _money_field("Max week loss", Decimal(0))
    max_week_profit = _money_field("Max week profit", Decimal(0))
    max_month_loss = _money_field("Max month loss", Decimal(0))
    max_month_profit = _money_field("Max month profit", Decimal(0))

    def __init__(self, *args, groups: list[Group], client: Client | None = None,
                 account: TradingAccount | None = None, **kwargs):
        self.account = account
        self.groups = {g.id: g for g in groups}
        if "initial" not in kwargs:
            kwargs["initial"] = initial_of(account) if account else prefill(client)
        super().__init__(*args, **kwargs)
        self.fields["group_id"].choices = [("", "Choose a group"), *_group_choices(groups)]
        if account is None:
            _password_fields(self, "user_password", "Main password", True)
            _password_fields(self, "investor_password", "Investor password", True)
        else:
            self.fields["username"].disabled = True

    def sections(self):
        """(legend, bound fields) in the order the form shows them."""
        parts = (("Account", ("group_id", "leverage", "username")),
                 ("Passwords", ("user_password_mode", "user_password",
                                "investor_password_mode", "investor_password")),
                 ("Holder", PERSONAL),
                 ("Risk management", ("enable_risk_management", *LIMITS)))
        for legend, names in parts:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                yield legend, fields

    def values(self) -> dict[str, Any]:
        """What a create sends (passwords included; never stored or logged by the portal)."""
        data = self.cleaned_data
        values = {name: data[name] for name in ("group_id", *PERSONAL, "username")
                  if data.get(name) not in (None, "")}
        values["leverage"] = data.get("leverage") or 0
        values["enable_risk_management"] = bool(data.get("enable_risk_management"))
        values.update({name: data[name] for name in LIMITS if data.get(name) is not None})
        for name in PASSWORDS:
            password = _chosen_password(self, name)
            if password:
                values[name] = password
        return values

    def changes(self) -> dict[str, Any]:
        """What an edit sends: only what differs from the account."""
        current = initial_of(self.account)
        data = dict(self.cleaned_data)
        data["leverage"] = data.get("leverage") or 0
        changed = {}
        for name in ("group_id", "leverage", *PERSONAL, "enable_risk_management", *LIMITS):
            value = data.get(name)
            if name in LIMITS and value is None:
                value = Decimal(0)
            old = current.get(name)
            if name in PERSONAL:
                value, old = value or "", old or ""
            if value != old:
                changed[name] = value
        return changed

    def group_move(self, query=None) -> Group | None:
        """The group an edit moves the account to (None: it stays): from the posted form, or
        from `query` (the group select asks while the member chooses)."""
        source = query if query is not None else self.data if self.is_bound else None
        if source is None or self.account is None:
            return None
        try:
            target = int(source.get("group_id") or 0)
        except ValueError:
            return None
        return self.groups.get(target) if target != self.account.group_id else None


def prefill(client: Client | None) -> dict[str, Any]:
    if client is None:
        return {}
    return {"first_name": client.first_name, "middle_name": client.middle_name,
            "family_name": client.family_name, "email": client.email, "phone": client.mobile,
            "country": client.country, "state": client.state, "city": client.city,
            "zip_code": client.zip_code, "address": client.address,
            "group_id": client.preferred_group, "user_password_mode": "generate",
            "investor_password_mode": "generate"}


def initial_of(account: TradingAccount | None) -> dict[str, Any]:
    if account is None:
        return {}
    user = account.user
    values = {name: getattr(user, name, "") if user else "" for name in PERSONAL}
    values.update(group_id=account.group_id, leverage=account.leverage or 0,
                  username=account.username,
                  enable_risk_management=account.enable_risk_management,
                  **{name: getattr(account, name) or Decimal(0) for name in LIMITS})
    return values


class PasswordResetForm(UpstreamErrors, forms.Form):
    which = forms.ChoiceField(label="Password", widget=forms.RadioSelect, initial="user_password",
                              choices=[("user_password", "Main (trading) password"),
                                       ("investor_password", "Investor (read-only) password")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _password_fields(self, "password", "New password", True)

    def chosen(self) -> tuple[str, str] | None:
        """(which password, the new value), or None with an error on the form."""
        password = _chosen_password(self, "password")
        return (self.cleaned_data["which"], password) if password else None
