from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from crmportal.audit import tally
from crmportal.audit.forms import AuditFilterForm
from crmportal.audit.models import AuditEntry
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.paging import PAGE_SIZES, page_size, positive_int


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required("staff.view_audit", raise_exception=True)
def audit_list(request: HttpRequest) -> HttpResponse:
    tally.flush()  # aggregated refusals of finished minutes are listed too
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.order_by("-id")
    if form.is_bound and form.is_valid():
        entries = form.filter(entries)
    elif form.is_bound:
        entries = entries.none()
    paginator = Paginator(entries, page_size(request.GET.get("size")))
    page = paginator.get_page(positive_int(request.GET.get("page"), 1))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "page_sizes": PAGE_SIZES}
    template = "audit/audit_list.html"
    if wants_partial(request):
        template += "#audit-table"
    return render(request, template, context)
