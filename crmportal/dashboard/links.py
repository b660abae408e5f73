"""Where a dashboard figure links: the list behind it, filtered by the same query string the
figure was counted with, or the page of the one thing it names."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse


def url(name: str, **query) -> str:
    """The page `name` with `query` (empty values left out) as its query string."""
    values = {k: v for k, v in query.items() if v not in (None, "")}
    return reverse(name) + ("?" + urlencode(values) if values else "")


def client(client_id: int) -> str:
    return reverse("clients-show-client", args=[client_id])


def account(account_id: int | None) -> str:
    """The account page ("" when OMTrader named no account: the figure is not linked)."""
    if account_id is None:
        return ""
    return reverse("accounts-show-account", kwargs={"account_id": account_id})


def accounts(**query) -> str:
    """The account list, filtered by `query` (its AccountFilterForm's names)."""
    return url("accounts-list-accounts", **query)


def clients(**query) -> str:
    """The client list, filtered by `query` (its ClientFilterForm's names)."""
    return url("clients-list-clients", **query)
