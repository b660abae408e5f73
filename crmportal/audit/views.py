from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from crmportal.accounts import index as account_index
from crmportal.audit import present, tally
from crmportal.audit.forms import AuditFilterForm
from crmportal.audit.models import AuditEntry
from crmportal.clients import index
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, paginate
from crmportal.staff.scope import group_scope

# Entries about clients and accounts, and every entry tagged with an OMTrader group (money
# operations, groups, commissions, group symbols), are shown by group scope; every other entry
# (staff, sign-ins, refusals, system) only to members who manage staff.
SCOPED_ENTITY_TYPES = ("client", "account")


def _entries_for(user):
    """The audit entries this member may read."""
    entries = AuditEntry.objects.order_by("-id")
    scope = group_scope(user)
    scoped = Q(entity_type__in=SCOPED_ENTITY_TYPES) | Q(group_id__isnull=False)
    in_scope = scoped
    if not scope.all:
        visible = index.visible_to(user).annotate(text_id=Cast("id", CharField()))
        accounts = account_index.visible_to(user).annotate(text_id=Cast("id", CharField()))
        in_scope = (Q(entity_type="client", entity_id__in=visible.values("text_id"))
                    | Q(entity_type="account", entity_id__in=accounts.values("text_id"))
                    | Q(group_id__in=sorted(scope.ids)))
    if user.has_perm("staff.manage_staff"):
        return entries.filter(in_scope | ~scoped)
    return entries.filter(in_scope)


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required("staff.view_audit", raise_exception=True)
def audit_list(request: HttpRequest) -> HttpResponse:
    tally.flush()  # aggregated refusals of finished minutes are listed too
    form = AuditFilterForm(request.GET or None)
    entries = _entries_for(request.user)
    if form.is_bound and form.is_valid():
        entries = form.filter(entries)
    elif form.is_bound:
        entries = entries.none()
    paged = paginate(entries, request.GET)
    present.decorate(paged.page)
    query = request.GET.copy()
    for name in ("page", "size", "limit"):
        query.pop(name, None)
    if paged.size != DEFAULT_PAGE_SIZE:
        query["size"] = str(paged.size)
    context = {"form": form, "page": paged.page, "notices": paged.notices,
               "query": query.urlencode(), "page_sizes": PAGE_SIZES,
               "scoped": not request.user.has_perm("staff.manage_staff")}
    template = "audit/audit_list.html"
    if wants_partial(request):
        template += "#audit-table"
    response = render(request, template, context)
    if paged.notices and wants_partial(request):
        if paged.page.number > 1:
            query["page"] = str(paged.page.number)
        replace_url(response, request.path + ("?" + query.urlencode() if query else ""))
    return response
