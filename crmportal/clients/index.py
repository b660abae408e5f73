"""The client index: the portal's searchable copy of OMTrader's clients.

OMTrader's client list pages and sorts but cannot search, filter or limit to groups, so
lists, exports and the KYC queue read this index instead, and it is kept fresh here:

- Portal writes update it in the same action (actions.py), so staff see their own change.
- Before a list answers, `ensure_fresh()` asks OMTrader what changed: one small call for the
  newest client by `updated_at` and the total. When that client is no newer than the index's
  newest and the totals agree, nothing changed; otherwise the clients are read newest first
  until one is older than the index's newest (less two seconds). It runs at most every
  CLIENT_INDEX_MAX_AGE seconds, by one request at a time; the others answer from the index.
- When the upstream's total differs from the index's count,
  clients were deleted (or missed) outside the portal: the index is rebuilt from every page
  (inline up to INLINE_REBUILD_MAX clients, else flagged for `manage.py sync_clients`).
- The first list ever rebuilds it; so does `manage.py sync_clients` (schedule it nightly: it
  also catches trading accounts moved between groups outside the portal).
- A client page that finds a client changed or gone updates or drops its row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crmportal import freshness
from crmportal.clients.fields import FIELDS
from crmportal.clients.models import ClientIndex, ClientIndexGroup, IndexState
from crmportal.freshness import Freshness
from crmportal.omtrader.concurrent import gather_each
from crmportal.omtrader.entities import Client, TradingAccount
from crmportal.omtrader.enums import EnumValue
from crmportal.omtrader.errors import NotFound
from crmportal.staff.scope import group_scope, may_see_every_group

log = logging.getLogger(__name__)

SYNC_PAGE = 1000
PARALLEL_PAGES = 4
CHANGES_PAGE = 20
MAX_CHANGE_PAGES = 20
OVERLAP = timedelta(seconds=2)
INLINE_REBUILD_MAX = 20_000
SWEEP_VERIFY_MAX = 200
CHECKED_AT = "clients:index:checked-at"
INDEXED_TEXT = ("first_name", "middle_name", "family_name", "email", "mobile", "external_id",
                "country", "lead_source", "lead_campaign")
_NOT_DIGITS = re.compile(r"\D+")


# -- reading ---------------------------------------------------------------------------------

def visible_to(user, rows: QuerySet[ClientIndex] | None = None) -> QuerySet[ClientIndex]:
    """Clients whose preferred group or any account's group is in the user's scope."""
    rows = ClientIndex.objects.all() if rows is None else rows
    allowed = group_scope(user).limit
    if allowed is None:
        return rows
    in_groups = ClientIndexGroup.objects.filter(group_id__in=allowed).values("client_id")
    return rows.filter(Q(preferred_group__in=allowed) | Q(id__in=in_groups))


def writable_by(user, rows: Iterable[ClientIndex]) -> set[int]:
    """The ids of these clients whose every group (preferred and accounts') is in scope."""
    rows = list(rows)
    groups = {row.id: [row.preferred_group] if row.preferred_group is not None else []
              for row in rows}
    links = ClientIndexGroup.objects.filter(client_id__in=list(groups))
    for client_id, group_id in links.values_list("client_id", "group_id"):
        groups[client_id].append(group_id)
    every = group_scope(user).all
    return {cid for cid, gids in groups.items()
            if every or (gids and may_see_every_group(user, gids))}


def digits(text: str) -> str:
    return _NOT_DIGITS.sub("", text or "")


# -- keeping it fresh ------------------------------------------------------------------------

def ensure_fresh(omt) -> Freshness:
    return freshness.ensure_fresh(omt, INDEX)


def check_changes(omt, state: IndexState) -> None:
    seen = freshness.probe(ClientIndex.objects.all(), omt.list_clients)
    total, complete = seen.total, True
    if not seen.unchanged:
        total, complete = _read_changes(omt, state, seen.newest)
    # When it was checked lives in the cache: a database write per page would serialise them.
    cache.set(CHECKED_AT, timezone.now(), None)
    if total != state.upstream_total:
        IndexState.objects.filter(pk=state.pk).update(upstream_total=total)
    count = ClientIndex.objects.count() if not seen.unchanged else seen.count
    if not complete or (total is not None and total != count):
        log.info("client index: %s clients upstream, %s indexed; rebuilding", total, count)
        if max(total or 0, count) <= INLINE_REBUILD_MAX:
            rebuild(omt)
        else:
            IndexState.objects.filter(pk=state.pk).update(reconcile_needed=True)


def _read_changes(omt, state: IndexState, newest: datetime | None) -> tuple[int | None, bool]:
    """Clients newest first, down to the index's newest less OVERLAP; (total, read all)."""
    since = newest - OVERLAP if newest else None
    total = None
    for page in range(1, MAX_CHANGE_PAGES + 1):
        result = omt.list_clients(page=page, limit=CHANGES_PAGE, sort_by="updated_at",
                                  direction="DESC")
        total = result.total
        changed, older_seen = [], False
        for client in result.items:
            if client.updated_at is None:
                continue  # cannot tell; the nightly rebuild refreshes these
            if since is not None and client.updated_at < since:
                older_seen = True
                break
            changed.append(client)
        upsert(changed, nested=state.accounts_nested, only_changed=True)
        if older_seen or not result.has_next:
            return total, True
    return total, False


def rebuild(omt, progress=None) -> int:
    """Every client from every page; rows not seen are verified gone, then dropped."""
    started = timezone.now()
    first = omt.list_clients(page=1, limit=SYNC_PAGE, sort_by="id")
    nested = any(client.accounts for client in first.items)
    seen = upsert(first.items, nested=nested, now=started)
    if first.has_next:
        for items in _rest_of(omt, first):
            seen += upsert(items, nested=nested, now=started)
            if progress:
                progress(seen, first.total)
    if not nested:
        _rebuild_groups(omt)
    _sweep(omt, started, nested)
    state = IndexState.load()
    state.full_synced_at = state.checked_at = started
    cache.set(CHECKED_AT, started, None)
    state.upstream_total = first.total if first.total is not None else seen
    state.accounts_nested = nested
    state.reconcile_needed = False
    state.save()
    return seen


def refresh_client(omt, client_id: int) -> Client | None:
    """Re-read one client into the index (other areas call this after moving accounts)."""
    try:
        client = omt.get_client(client_id)
    except NotFound:
        forget(client_id)
        return None
    upsert([client], nested=IndexState.load().accounts_nested)
    return client


def note_seen(client: Client, accounts: Iterable[TradingAccount]) -> None:
    """A page read this client fresh: update its row only if something differs."""
    accounts = list(accounts)
    groups = {a.group_id for a in accounts if a.group_id is not None}
    row = ClientIndex.objects.filter(pk=client.id).only("updated_at", "accounts").first()
    known = set(ClientIndexGroup.objects.filter(client_id=client.id)
                .values_list("group_id", flat=True))
    if row and (row.updated_at, row.accounts, known) == (client.updated_at, len(accounts), groups):
        return
    upsert([client], accounts={client.id: accounts})


def store(client: Client) -> None:
    """The client as a portal write returned it."""
    upsert([client], nested=IndexState.load().accounts_nested)


def forget(client_id: int) -> None:
    ClientIndex.objects.filter(pk=client_id).delete()


def upsert(clients: Iterable[Client], *, nested: bool = True, now: datetime | None = None,
           only_changed: bool = False,
           accounts: dict[int, list[TradingAccount]] | None = None) -> int:
    """Write these clients' rows (and their account groups when known); returns how many."""
    clients = list(clients)
    if not clients:
        return 0
    now = now or timezone.now()
    if only_changed:
        stored = dict(ClientIndex.objects.filter(pk__in=[c.id for c in clients])
                      .values_list("id", "updated_at"))
        clients = [c for c in clients if c.id not in stored or stored[c.id] != c.updated_at]
        if not clients:
            return 0
    rows, groups = [], {}
    for client in clients:
        own = (accounts or {}).get(client.id)
        if own is None and nested:
            own = list(client.accounts)
        rows.append(_row(client, now, own))
        if own is not None:
            groups[client.id] = {a.group_id for a in own if a.group_id is not None}
    fields = [f.name for f in ClientIndex._meta.concrete_fields if f.name != "id"]
    if accounts is None and not nested:
        fields.remove("accounts")  # unknown here: keep what the accounts walk counted
    with transaction.atomic():
        ClientIndex.objects.bulk_create(rows, update_conflicts=True, unique_fields=["id"],
                                        update_fields=fields)
        if groups:
            ClientIndexGroup.objects.filter(client_id__in=list(groups)).delete()
            ClientIndexGroup.objects.bulk_create(
                ClientIndexGroup(client_id=cid, group_id=gid)
                for cid, gids in groups.items() for gid in sorted(gids)
            )
    return len(rows)


# -- helpers ---------------------------------------------------------------------------------

def record_of(client: Client) -> dict:
    """Every field of the client as JSON-safe values (enum codes, ISO dates, exact money)."""
    return {name: _plain(getattr(client, name)) for name in FIELDS} | {
        "id": client.id, "kyc_status": client.kyc_status,
    }


def _plain(value):
    if isinstance(value, EnumValue):
        return value.code
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _row(client: Client, now: datetime, accounts: list[TradingAccount] | None) -> ClientIndex:
    text = {name: (getattr(client, name) or "")[:200] for name in INDEXED_TEXT}
    search = " ".join(part for part in (
        client.first_name, client.middle_name, client.family_name, client.email,
        client.external_id, digits(client.mobile), digits(client.local_number),
    ) if part).lower()
    return ClientIndex(
        id=client.id,
        type=client.type.code if client.type else None,
        status=client.status.code if client.status else None,
        kyc_status=client.kyc_status,
        manager_id=client.manager_id,
        preferred_group=client.preferred_group,
        expiry_date=client.expiry_date,
        accounts=len(accounts) if accounts is not None else 0,
        created_at=client.created_at,
        updated_at=client.updated_at,
        search_text=search,
        record=record_of(client),
        synced_at=now,
        **text,
    )


def _rest_of(omt, first) -> Iterator[list[Client]]:
    """Pages 2.. of a rebuild, PARALLEL_PAGES at a time when the total is known."""
    if first.pages:
        numbers = range(2, first.pages + 1)
        for batch in _batches(numbers, PARALLEL_PAGES):
            pages = gather_each(
                lambda n: omt.list_clients(page=n, limit=SYNC_PAGE, sort_by="id"), batch)
            yield from (page.items for page in pages)
        return
    rest = islice(omt.iter_all(omt.list_clients, limit=SYNC_PAGE, sort_by="id"), SYNC_PAGE, None)
    yield from _batches(rest, SYNC_PAGE)


def _rebuild_groups(omt) -> None:
    """The upstream does not nest accounts in clients: walk the accounts list instead."""
    groups: dict[int, set[int]] = {}
    counts: dict[int, int] = {}
    for account in omt.iter_all(omt.list_accounts):
        if account.client_id is None:
            continue
        counts[account.client_id] = counts.get(account.client_id, 0) + 1
        if account.group_id is not None:
            groups.setdefault(account.client_id, set()).add(account.group_id)
    known = set(ClientIndex.objects.values_list("id", flat=True))
    with transaction.atomic():
        ClientIndexGroup.objects.all().delete()
        ClientIndexGroup.objects.bulk_create(
            ClientIndexGroup(client_id=cid, group_id=gid)
            for cid, gids in groups.items() if cid in known for gid in sorted(gids)
        )
        ClientIndex.objects.update(accounts=0)
        for cid, count in counts.items():
            ClientIndex.objects.filter(pk=cid).update(accounts=count)


def _sweep(omt, started: datetime, nested: bool) -> None:
    """Rows a rebuild did not see: gone upstream, or skipped as pages shifted under it."""
    unseen = list(ClientIndex.objects.filter(synced_at__lt=started)
                  .values_list("id", flat=True)[:SWEEP_VERIFY_MAX + 1])
    if not unseen:
        return
    if len(unseen) > SWEEP_VERIFY_MAX:
        ClientIndex.objects.filter(synced_at__lt=started).delete()
        return

    def look(client_id: int) -> Client | None:
        try:
            return omt.get_client(client_id)
        except NotFound:
            return None

    found = gather_each(look, unseen)
    upsert([c for c in found if c is not None], nested=nested)
    ClientIndex.objects.filter(pk__in=[i for i, c in zip(unseen, found, strict=True)
                                       if c is None]).delete()


def _checked_at(state: IndexState) -> datetime | None:
    return cache.get(CHECKED_AT) or state.checked_at


def _batches(items, size):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


INDEX = freshness.LocalIndex(key="clients:index", noun="client",
                             max_age_setting="CLIENT_INDEX_MAX_AGE", load_state=IndexState.load,
                             check_changes=check_changes, rebuild=rebuild,
                             checked_at=_checked_at)
