"""Group scope: the one module that decides what a staff member sees and may change.

The rule:
- A member limited to groups G sees a client when the client's preferred group or any of its
  accounts' groups is in G; they then see only the accounts in G and only the orders,
  positions, deals and transactions of those accounts.
- A write to what a client's groups share (the client record, KYC) needs every group the
  client touches in G. A write to one account needs that account's group in G.
- Out of scope answers exactly like missing (404), so ids cannot be probed.
- Scope fails closed: no groups and no explicit "all groups" flag means nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from crmportal.staff.models import StaffProfile


@dataclass(frozen=True)
class GroupScope:
    """The OMTrader groups a member may see: every group (`all`), or exactly `ids` (maybe
    none at all)."""

    all: bool = False
    ids: frozenset[int] = frozenset()

    @property
    def nothing(self) -> bool:
        return not self.all and not self.ids

    @property
    def limit(self) -> frozenset[int] | None:
        """For filters: the ids to keep, or None when nothing needs filtering out."""
        return None if self.all else self.ids

    def __contains__(self, group_id: object) -> bool:
        if self.all:
            return True
        return isinstance(group_id, int) and group_id in self.ids


NOTHING = GroupScope()
EVERYTHING = GroupScope(all=True)


def group_scope(user) -> GroupScope:
    """The member's scope (nothing for anyone not signed in or not active)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_group_scope", None)
    if cached is not None:
        return cached
    return remember(user, StaffProfile.objects.filter(user=user).first())


def remember(user, profile: StaffProfile | None) -> GroupScope:
    """Keep the scope of this profile on this user object for the rest of the request (the
    time zone middleware reads the profile anyway: one query instead of two)."""
    if profile is None:
        scope = NOTHING
    elif profile.all_groups:
        scope = EVERYTHING
    else:
        scope = GroupScope(ids=frozenset(int(g) for g in profile.group_ids or ()))
    user._group_scope = scope
    return scope


def forget(user) -> None:
    """Drop the scope remembered on this user object (after a change to it)."""
    if hasattr(user, "_group_scope"):
        del user._group_scope


def may_see_group(user, group_id: int | None) -> bool:
    return (int(group_id) if group_id is not None else None) in group_scope(user)


def may_see_any_group(user, group_ids: Iterable[int | None]) -> bool:
    return any(may_see_group(user, group_id) for group_id in group_ids)


def may_see_every_group(user, group_ids: Iterable[int | None]) -> bool:
    """True when each group is in scope (a None group, unknown, counts as out of scope)."""
    return all(may_see_group(user, group_id) for group_id in group_ids)


@dataclass(frozen=True)
class ClientScope:
    """What one member may see and do of one client."""

    visible: bool
    accounts: tuple  # the client's accounts in scope
    hidden_accounts: int  # how many are not (shown as a count, nothing else)
    may_write: bool  # every group the client touches is in scope

    @property
    def account_ids(self) -> frozenset[int]:
        return frozenset(account.id for account in self.accounts)


def groups_of_client(client: Any, accounts: Sequence[Any]) -> list[int | None]:
    """Every group a client touches: the preferred group (when set) and each account's."""
    groups = [account.group_id for account in accounts]
    if client.preferred_group is not None:
        groups.append(client.preferred_group)
    return groups


def client_scope(user, client: Any, accounts: Sequence[Any]) -> ClientScope:
    groups = groups_of_client(client, accounts)
    every = group_scope(user).all
    shown = tuple(account for account in accounts if may_see_group(user, account.group_id))
    return ClientScope(
        visible=every or may_see_any_group(user, groups),
        accounts=shown,
        hidden_accounts=len(accounts) - len(shown),
        # A client in no group at all can be changed only by a member who sees every group.
        may_write=every or (bool(groups) and may_see_every_group(user, groups)),
    )


def may_write_account(user, account: Any) -> bool:
    return may_see_group(user, account.group_id)


def in_scope(items: Iterable[Any], account_ids: frozenset[int]) -> list:
    """Trading records (positions, orders, deals, transactions) of the accounts in scope
    (`ClientScope.account_ids`); records of any other account are dropped."""
    return [item for item in items if item.account_id in account_ids]
