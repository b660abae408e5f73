"""The account index: the portal's searchable copy of OMTrader's trading accounts.

OMTrader's account list filters by client and group, pages and sorts; it cannot search, filter
on money or liquidation status, or limit to a member's groups in one call. At 100,000 accounts
reading every page per request is out of the question, so the list and its export read this
index, kept fresh the way the client index is:

- Portal writes (create, edit, delete) update the row in the same action.
- Before the list answers, `ensure_fresh()` asks one small question: the account changed last
  (`updated_at`, which OMTrader moves with every change of the money) and the total. Nothing
  newer and the same count: done. Otherwise the accounts are read newest first, SYNC_PAGE a
  page, down to the index's newest less OVERLAP. At most every ACCOUNT_INDEX_MAX_AGE seconds,
  one request at a time.
- A total that differs means accounts were deleted or missed outside the portal: the index is
  rebuilt (inline up to INLINE_REBUILD_MAX, else flagged for `manage.py sync_accounts`).
- The account page reads the account fresh and updates its row.

The money columns are therefore "as of the last check" (a few seconds): the list says when,
and the account page shows the live figures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crmportal import freshness
from crmportal.accounts.models import AccountIndex, AccountIndexState
from crmportal.clients.models import ClientIndex
from crmportal.freshness import Freshness
from crmportal.omtrader.concurrent import gather_each
from crmportal.omtrader.entities import TradingAccount
from crmportal.staff.scope import group_scope

log = logging.getLogger(__name__)

SYNC_PAGE = 1000
PARALLEL_PAGES = 4
MAX_CHANGE_PAGES = 10
OVERLAP = timedelta(seconds=2)
INLINE_REBUILD_MAX = 20_000
CHECKED_AT = "accounts:index:checked-at"
MONEY_COLUMNS = ("balance", "credit", "equity", "margin", "margin_free", "margin_level",
                 "profit")


def visible_to(user, rows: QuerySet[AccountIndex] | None = None) -> QuerySet[AccountIndex]:
    """Accounts whose group is in the member's scope (exact group scope)."""
    rows = AccountIndex.objects.all() if rows is None else rows
    allowed = group_scope(user).limit
    return rows if allowed is None else rows.filter(group_id__in=allowed)


# -- keeping it fresh ------------------------------------------------------------------------

def ensure_fresh(omt) -> Freshness:
    return freshness.ensure_fresh(omt, INDEX)


def check_changes(omt, state: AccountIndexState) -> None:
    seen = freshness.probe(AccountIndex.objects.all(), omt.list_accounts)
    count, complete = seen.count, True
    if not seen.unchanged:
        complete = _read_changes(omt, seen.newest)
        count = AccountIndex.objects.count()
    cache.set(CHECKED_AT, timezone.now(), None)
    if not complete or (seen.total is not None and seen.total != count):
        log.info("account index: %s accounts upstream, %s indexed; rebuilding", seen.total, count)
        if max(seen.total or 0, count) <= INLINE_REBUILD_MAX:
            rebuild(omt)
        else:
            AccountIndexState.objects.filter(pk=state.pk).update(reconcile_needed=True)


def _read_changes(omt, newest: datetime | None) -> bool:
    """Accounts newest first down to the index's newest less OVERLAP; False if there were more
    changes than MAX_CHANGE_PAGES pages (a rebuild is cheaper then)."""
    since = newest - OVERLAP if newest else None
    for page in range(1, MAX_CHANGE_PAGES + 1):
        result = omt.list_accounts(page=page, limit=SYNC_PAGE, sort_by="updated_at",
                                   direction="DESC")
        changed = [a for a in result.items if since is None or a.updated_at is None
                   or a.updated_at >= since]
        upsert(changed)
        if len(changed) < len(result.items) or not result.has_next:
            return True
    return False


def rebuild(omt, progress=None) -> int:
    """Every account from every page (PARALLEL_PAGES at a time); rows not seen are dropped."""
    started = timezone.now()
    first = omt.list_accounts(page=1, limit=SYNC_PAGE, sort_by="id")
    seen = upsert(first.items, now=started)
    numbers = list(range(2, (first.pages or 1) + 1))
    for start in range(0, len(numbers), PARALLEL_PAGES):
        batch = numbers[start:start + PARALLEL_PAGES]
        pages = gather_each(lambda n: omt.list_accounts(page=n, limit=SYNC_PAGE, sort_by="id"),
                            batch)
        for page in pages:
            seen += upsert(page.items, now=started)
        if progress:
            progress(seen, first.total)
    AccountIndex.objects.filter(synced_at__lt=started).delete()
    state = AccountIndexState.load()
    state.full_synced_at = started
    state.upstream_total = first.total if first.total is not None else seen
    state.reconcile_needed = False
    state.save()
    cache.set(CHECKED_AT, started, None)
    return seen


def store(account: TradingAccount) -> None:
    """The account as a portal write or a fresh read returned it."""
    upsert([account])


def forget(account_id: int) -> None:
    AccountIndex.objects.filter(pk=account_id).delete()


def upsert(accounts: Iterable[TradingAccount], *, now: datetime | None = None) -> int:
    accounts = list(accounts)
    if not accounts:
        return 0
    now = now or timezone.now()
    names = {cid: " ".join(n for n in (first, family) if n) for cid, first, family in
             ClientIndex.objects.filter(id__in={a.client_id for a in accounts})
             .values_list("id", "first_name", "family_name")}
    rows = [_row(account, names.get(account.client_id, ""), now) for account in accounts]
    fields = [f.name for f in AccountIndex._meta.concrete_fields if f.name != "id"]
    with transaction.atomic():
        AccountIndex.objects.bulk_create(rows, update_conflicts=True, unique_fields=["id"],
                                         update_fields=fields)
    return len(rows)


def _row(account: TradingAccount, client_name: str, now: datetime) -> AccountIndex:
    user = account.user
    email = user.email if user else ""
    search = " ".join(str(part) for part in (
        account.id, account.username, account.holder_name, email, client_name,
        f"client:{account.client_id}" if account.client_id is not None else "",
    ) if part).lower()
    return AccountIndex(
        id=account.id,
        client_id=account.client_id,
        group_id=account.group_id,
        currency=account.currency[:16],
        currency_digits=account.currency_digits,
        leverage=account.leverage,
        trade_type=account.trade_type.code if account.trade_type else None,
        liquidation_status=(account.liquidation_status.code if account.liquidation_status
                            else None),
        username=account.username[:200],
        holder_name=account.holder_name[:400],
        email=email[:200],
        client_name=client_name[:400],
        created_at=account.created_at,
        updated_at=account.updated_at,
        search_text=search,
        synced_at=now,
        **{name: getattr(account, name) for name in MONEY_COLUMNS},
    )


def _checked_at(state: AccountIndexState) -> datetime | None:
    return cache.get(CHECKED_AT) or state.full_synced_at


INDEX = freshness.LocalIndex(key="accounts:index", noun="account",
                             max_age_setting="ACCOUNT_INDEX_MAX_AGE",
                             load_state=AccountIndexState.load, check_changes=check_changes,
                             rebuild=rebuild, checked_at=_checked_at)
