"""The dashboard's panels: one registry entry each (name, title, who may see it, the function
that gathers what its partial shows). The page draws a skeleton per panel the member may see
and each loads by itself (views.py); a panel's partial is `dashboard/panels.html#<name>`.

Adding a panel: a function taking the request and returning its partial's context, decorated
with `@panel(...)`, and a partial of the same name. Order on the page is the order here.

Every figure is counted from the same query as the list it links to, cut by the member's
group scope (crmportal/staff/scope.py through the client index, or the market picture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from crmportal.accounts import index as account_index
from crmportal.accounts.forms import AccountFilterForm
from crmportal.audit import present
from crmportal.audit.models import AuditEntry
from crmportal.clients import index, kyc
from crmportal.clients.forms import ClientFilterForm, rejections
from crmportal.clients.models import ClientIndex, IndexState
from crmportal.dashboard import links, market, sampler
from crmportal.dashboard.models import Checkpoint
from crmportal.dashboard.shared import SharedRead
from crmportal.forms import since
from crmportal.live import render as live_render
from crmportal.money import history
from crmportal.money.models import MoneyOperation
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.errors import OMTraderError
from crmportal.staff.scope import group_scope

# Who sees what, by permission (the roles carry them, crmportal/staff/roles.py):
COMPLIANCE = "staff.review_kyc"  # Compliance, Administrator
BACK_OFFICE = "staff.change_accounts"  # Back office, Administrator
MONEY = "staff.transfer_money"  # Back office, Administrator
SUPERVISOR = "staff.view_live_board"  # Supervisor, Administrator
ADMINISTRATOR = "staff.manage_staff"  # Administrator

REJECTION_DAYS = "30"  # the client list's "since" values (crmportal/forms.py: RECENT)
NEW_CLIENT_DAYS = "7"
NEAREST = 5
TOP_SYMBOLS = 5
LARGE_DEALS = 8
LISTED = 5  # rows a panel lists under its figure
MARGIN_CALL, STOP_OUT = 1, 2  # ModelLiqudationStatus: the account list's `liquidation` filter


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    permission: str | None  # None: every signed-in member
    build: Callable[[HttpRequest], dict]
    size: str  # the skeleton's fixed height: s, m or l (static/css/portal.css)
    compact: bool | None  # True: the administrator's compact page only; False: never; None: both

    def allowed(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)


PANELS: dict[str, Panel] = {}


def panel(name: str, title: str, permission: str | None, size: str = "m",
          compact: bool | None = False):
    def register(build: Callable[[HttpRequest], dict]) -> Callable[[HttpRequest], dict]:
        PANELS[name] = Panel(name, title, permission, build, size, compact)
        return build
    return register


def is_compact(user) -> bool:
    """The administrator sees every area's figures, each area in one compact panel."""
    return user.has_perm(ADMINISTRATOR)


def panels_for(user) -> list[Panel]:
    compact = is_compact(user)
    return [p for p in PANELS.values()
            if p.allowed(user) and (p.compact is None or p.compact == compact)]


def _filtered(form_class, rows, **query):
    """`rows` cut by a list's own filter form, given the query string the figure links with:
    the figure is counted by the very code that answers its link."""
    form, _ = form_class.parse(query)
    return form.filter(rows)


def _clients(request: HttpRequest):
    """The member's clients in the index, checked against OMTrader first as the lists do
    (once per request: a compact panel asks for several figures)."""
    freshness = getattr(request, "_dashboard_freshness", None)
    if freshness is None:
        freshness = request._dashboard_freshness = index.ensure_fresh(get_omtrader())
    return index.visible_to(request.user).defer("record", "search_text"), freshness


# -- Compliance --------------------------------------------------------------------------------

@panel("kyc-waiting", "KYC waiting", COMPLIANCE, "s")
def kyc_waiting(request: HttpRequest) -> dict:
    clients, freshness = _clients(request)
    waiting = clients.filter(kyc.state_q(kyc.PENDING))  # the queue's own list
    now = timezone.now()
    deadline = now - timedelta(hours=settings.KYC_SLA_HOURS)
    oldest = waiting.order_by(F("created_at").asc(nulls_last=True), "id").first()
    return {
        "count": waiting.count(),
        "past_sla": waiting.filter(created_at__lt=deadline).count(),
        "oldest": oldest,
        "oldest_wait": kyc.waiting(oldest.created_at, now) if oldest else None,
        "sla_hours": settings.KYC_SLA_HOURS,
        "queue_url": links.url("kyc-list-queue"),
        "freshness": freshness,
    }


@panel("kyc-expiring", "Documents expiring", COMPLIANCE, "m")
def kyc_expiring(request: HttpRequest) -> dict:
    clients, freshness = _clients(request)
    today = timezone.localdate()
    horizon = today + timedelta(days=settings.KYC_REKYC_DAYS)
    expiring = clients.filter(expiry_date__lte=horizon)  # the queue's re-KYC list
    return {
        "count": expiring.count(),
        "expired": expiring.filter(expiry_date__lt=today).count(),
        "soonest": list(expiring.order_by("expiry_date", "id")[:LISTED]),
        "days": settings.KYC_REKYC_DAYS,
        "queue_url": links.url("kyc-list-queue", view="rekyc"),
        "freshness": freshness,
    }


@panel("kyc-rejections", "Recent KYC rejections", COMPLIANCE, "m")
def kyc_rejections(request: HttpRequest) -> dict:
    """Clients rejected in the last 30 days (the client list's `rejected=30`), and by reason
    (a client rejected twice for two reasons counts under both)."""
    clients, _ = _clients(request)
    rejected = _filtered(ClientFilterForm, clients, rejected=REJECTION_DAYS)
    decisions = rejections(since(REJECTION_DAYS)).filter(client_id__in=clients.values("id"))
    labels = dict(settings.KYC_REJECTION_REASONS)
    reasons = [{"label": labels.get(row["reason_code"], row["reason_code"] or "No reason"),
                "count": row["n"], "url": links.clients(rejected=REJECTION_DAYS,
                                                        reason=row["reason_code"] or None)}
               for row in decisions.values("reason_code")
               .annotate(n=Count("client_id", distinct=True)).order_by("-n", "reason_code")]
    return {"reasons": reasons, "total": rejected.count(), "days": REJECTION_DAYS,
            "list_url": links.clients(rejected=REJECTION_DAYS)}


@panel("four-eyes", "Four eyes: hand these on", COMPLIANCE, "s")
def four_eyes(request: HttpRequest) -> dict:
    """Waiting clients whose identity or documents the member changed: someone else decides."""
    user = request.user
    clients, _ = _clients(request)
    edited = AuditEntry.objects.filter(
        entity_type="client", action__in=kyc.EDIT_ACTIONS, actor_id=user.pk,
        outcome__in=(AuditEntry.Outcome.OK, AuditEntry.Outcome.FAILED),
    ).values_list("entity_id", flat=True).distinct()
    candidates = clients.filter(kyc.state_q(kyc.PENDING),
                                id__in=[int(i) for i in edited if i.isdigit()])
    blocked = kyc.four_eyes_blocked(user, candidates.values_list("id", flat=True))
    rows = list(clients.filter(id__in=blocked).order_by("created_at", "id"))
    for row in rows:
        row.url = reverse("kyc-review-client", args=[row.id])
    return {"rows": rows[:LISTED], "count": len(rows), "queue_url": links.url("kyc-list-queue")}


# -- Back office -------------------------------------------------------------------------------

@panel("new-clients", "New clients without an account", BACK_OFFICE, "s")
def new_clients(request: HttpRequest) -> dict:
    clients, freshness = _clients(request)
    query = {"registered": NEW_CLIENT_DAYS, "accounts": "none"}
    fresh = _filtered(ClientFilterForm, clients, **query).order_by("-created_at", "-id")
    rows = list(fresh[:LISTED])
    for row in rows:
        row.url = links.client(row.id)
    return {"count": fresh.count(), "rows": rows, "days": NEW_CLIENT_DAYS,
            "list_url": links.clients(**query, sort="-created"), "freshness": freshness}


@panel("accounts-opened", "Accounts opened today", BACK_OFFICE, "s")
def accounts_opened(request: HttpRequest) -> dict:
    freshness = account_index.ensure_fresh(get_omtrader())  # as the account list does
    opened = _filtered(AccountFilterForm, account_index.visible_to(request.user),
                       opened="today").defer("search_text").order_by("-created_at", "-id")
    rows = list(opened[:LISTED])
    for row in rows:
        row.url = links.account(row.id)
    return {"count": opened.count(), "rows": rows, "list_url": links.accounts(opened="today"),
            "freshness": freshness}


@panel("money-requests", "Money requests waiting for approval", MONEY, "s")
def money_requests(request: HttpRequest) -> dict:
    """The approval queue's rows: requests in scope nobody decided on, not yet expired (the
    queue expires those before it lists)."""
    now = timezone.now()
    waiting = (history.visible_operations(request.user)
               .filter(state=MoneyOperation.State.REQUESTED).exclude(expires_at__lte=now))
    oldest = waiting.order_by("created_at", "id").first()
    oldest_url = reverse("money-show-operation", args=[oldest.reference]) if oldest else ""
    return {"count": waiting.count(), "oldest": oldest, "oldest_url": oldest_url,
            "queue_url": links.url("money-list-requests")}


@panel("money-unknown", "Money operations with an unknown outcome", MONEY, "s")
def money_unknown(request: HttpRequest) -> dict:
    """The reconciliation page's open rows: sent, and OMTrader's answer not known."""
    return {"count": history.unknown_count(request.user),
            "list_url": links.url("money-list-unknown")}


@panel("recent-work", "Your recent work", None, "m", compact=None)
def recent_work(request: HttpRequest) -> dict:
    entries = list(AuditEntry.objects.filter(actor=request.user).order_by("-id")[:8])
    present.decorate(entries)
    may_see_log = request.user.has_perm("staff.view_audit")
    log_url = links.url("audit-list-entries", staff=request.user.pk) if may_see_log else ""
    return {"entries": entries, "log_url": log_url}


# -- Supervisor --------------------------------------------------------------------------------

@panel("margin-counts", "Margin call and stop out now", SUPERVISOR, "s")
def margin_counts(request: HttpRequest) -> dict:
    limit = group_scope(request.user).limit
    shot = market.picture(get_omtrader())
    rows = [{"scope": scope, "counts": counts, "name": shot.state.group_name(
        min(scope.group_ids)) if scope.group_ids else "All groups"}
            for scope, counts in market.risk_counts(shot, limit)]
    return {"rows": rows, "ready": True, "several": len(rows) > 1,
            "total": {k: sum(r["counts"][k] for r in rows) for k in ("margin_call", "stop_out")},
            "ws_path": "/ws/live/?view=dashboard", "taken": shot.taken, "source": shot.source,
            # OMTrader's own liquidation status (the list's filter), per group in the partial
            "margin_call_url": links.accounts(liquidation=MARGIN_CALL),
            "stop_out_url": links.accounts(liquidation=STOP_OUT)}


@panel("nearest-margin-call", "Accounts nearest margin call", SUPERVISOR, "l")
def nearest_margin_call(request: HttpRequest) -> dict:
    limit = group_scope(request.user).limit
    shot = market.picture(get_omtrader())
    with shot.lock:
        html = live_render.risk_panel(shot.state, market.scope_of(limit), limit=NEAREST)
    return {"html": html, "board_url": links.url("live-show-board"), "taken": shot.taken,
            "source": shot.source}


@panel("exposure", "Net exposure of the top symbols", SUPERVISOR, "l")
def exposure(request: HttpRequest) -> dict:
    limit = group_scope(request.user).limit
    shot = market.picture(get_omtrader())
    with shot.lock:
        html = live_render.exposure_panel(shot.state, market.scope_of(limit))
    return {"html": html, "board_url": links.url("live-show-board"), "taken": shot.taken,
            "source": shot.source}


@panel("floating-pl", "Floating P/L of your groups", SUPERVISOR, "m")
def floating_pl(request: HttpRequest) -> dict:
    limit = group_scope(request.user).limit
    shot = market.picture(get_omtrader())
    figures = market.profit_by_group(shot, limit)
    groups = sorted(limit) if limit is not None else sorted(
        set(shot.state.account_group.values()) | set(figures))
    rows = [{"group_id": g, "name": shot.state.group_name(g), "profit": figures.get(g, 0),
             "url": links.accounts(group=g)} for g in groups]
    known = [r["profit"] for r in rows if r["profit"] is not None]
    return {"rows": rows, "total": sum(known), "partial": len(known) < len(rows),
            "taken": shot.taken, "source": shot.source}


@panel("large-deals", "Last large deals", SUPERVISOR, "m")
def large_deals(request: HttpRequest) -> dict:
    limit = group_scope(request.user).limit
    shot = market.picture(get_omtrader())
    minimum = settings.DASHBOARD_LARGE_DEAL_LOTS
    groups = shot.state.account_group
    rows = []
    for deal in shot.deals:
        group_id = groups.get(deal.account_id)
        if limit is not None and group_id not in limit:
            continue
        if deal.volume is None or deal.volume < minimum:
            continue
        rows.append({"deal": deal, "group": shot.state.group_name(group_id),
                     "symbol": shot.state.symbol_code_of(deal.symbol, deal.symbol_id),
                     "url": links.account(deal.account_id)})
        if len(rows) >= LARGE_DEALS:
            break
    return {"rows": rows, "minimum": minimum, "board_url": links.url("live-show-board"),
            "taken": shot.taken, "source": shot.source}


# -- The administrator's compact panels: each area's figures in one request -------------------

def _together(request: HttpRequest, *builders) -> dict:
    """The contexts of several panels, by panel name (their figures, shown compactly)."""
    names = {p.build: p.name.replace("-", "_") for p in PANELS.values()}
    return {names[build]: build(request) for build in builders}


@panel("compliance-overview", "Compliance", COMPLIANCE, "l", compact=True)
def compliance_overview(request: HttpRequest) -> dict:
    return _together(request, kyc_waiting, kyc_expiring, kyc_rejections, four_eyes)


@panel("back-office-overview", "Back office", BACK_OFFICE, "m", compact=True)
def back_office_overview(request: HttpRequest) -> dict:
    shown = _together(request, new_clients, accounts_opened)
    if request.user.has_perm(MONEY):
        shown.update(_together(request, money_requests, money_unknown))
    return shown


@panel("supervisor-overview", "Trading risk", SUPERVISOR, "l", compact=True)
def supervisor_overview(request: HttpRequest) -> dict:
    shown = _together(request, margin_counts, floating_pl, large_deals)
    limit = group_scope(request.user).limit
    shot = market.picture(get_omtrader())
    with shot.lock:
        rows, _ = shot.state.risk(limit, NEAREST)
        nearest = [{"id": r.summary.id, "level": r.summary.margin_level,
                    "group": shot.state.group_name(r.summary.group_id),
                    "status": live_render.RISK_LABELS[r.status],
                    "url": links.account(r.summary.id)} for r in rows]
        symbols = shot.state.exposure(limit)[:TOP_SYMBOLS]
    return {**shown["margin_counts"], **shown, "nearest": nearest, "symbols": symbols,
            "board_url": links.url("live-show-board"), "taken": shot.taken, "source": shot.source}


# -- Administrator: the integration's health ---------------------------------------------------

@dataclass(frozen=True)
class Reach:
    """OMTrader's answer to the smallest question, and how long it took."""
    reachable: bool
    reason: str
    took_ms: float
    at: datetime


def _ask_omtrader(omt) -> Reach:
    started = timezone.now()
    try:
        omt.list_clients(page=1, limit=1)
        reachable, reason = True, ""
    except OMTraderError as error:
        reachable, reason = False, str(error.message)[:200]
    return Reach(reachable, reason, (timezone.now() - started).total_seconds() * 1000, started)


# Asked at most every DASHBOARD_MARKET_MAX_AGE s by the process, like the market (shared.py):
# the page load does not wait a round trip for it.
_reach = SharedRead("health", _ask_omtrader)


@panel("health", "Integration health", ADMINISTRATOR, "l", compact=None)
def health(request: HttpRequest) -> dict:
    reach = _reach.get(get_omtrader(), settings.DASHBOARD_MARKET_MAX_AGE,
                       settings.DASHBOARD_MARKET_STALE_MAX)
    state = IndexState.objects.filter(pk=1).first()
    audit = Checkpoint.objects.filter(name="verify_audit").first()
    return {
        "reach": reach,
        "relay": sampler.relay_status(),
        "synced_at": state.full_synced_at if state else None,
        "reconcile_needed": bool(state and state.reconcile_needed),
        "audit": audit,
        "without_second_factor": _without_second_factor(),
        "staff_url": links.url("staff-list-members"),
        "index_rows": ClientIndex.objects.count(),
    }


def _without_second_factor() -> list:
    confirmed = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    return list(get_user_model().objects.filter(is_active=True)
                .exclude(pk__in=confirmed).order_by("username")
                .values_list("username", flat=True))
