"""Where a figure about accounts links. The accounts area (`crmportal/accounts`, being built)
names its pages `accounts-show-account` (kwarg account_id) and `accounts-list-accounts`; while
it is not installed, an account links to its client's 360 page (or the live board when the
client is not known) and the list to the live board. Once it is, these links switch by
themselves (the names reverse)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


def client(client_id: int) -> str:
    return reverse("clients-show-client", args=[client_id])


def account(account_id: int | None, client_id: int | None = None) -> str:
    if account_id is not None:
        try:
            return reverse("accounts-show-account", kwargs={"account_id": account_id})
        except NoReverseMatch:
            pass
    if client_id is not None:
        return client(client_id)
    return reverse("live-show-board")


def accounts(**query) -> str:
    """The accounts list, filtered by `query` once it exists; the live board until then."""
    try:
        base = reverse("accounts-list-accounts")
    except NoReverseMatch:
        group = query.get("group")
        return reverse("live-show-board") + (f"?group={int(group)}" if group else "")
    values = {k: v for k, v in query.items() if v not in (None, "")}
    return base + ("?" + urlencode(values) if values else "")
