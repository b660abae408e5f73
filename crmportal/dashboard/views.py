"""The dashboard at `/`: the page renders at once with a skeleton per panel and the charts
(database only); each panel then loads by itself (htmx, `hx-trigger="load"`), so one slow
upstream call holds its own panel only, and one that fails shows its own error."""

from __future__ import annotations

import csv

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from crmportal.csvfiles import safe
from crmportal.dashboard import charts
from crmportal.dashboard.panels import ADMINISTRATOR, PANELS, panels_for
from crmportal.errors import panel_failed
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.omtrader.errors import OMTraderError
from crmportal.staff.scope import group_scope


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "panels": panels_for(user),
        "charts": charts.charts_for(user),
        "scope": group_scope(user),
        "compact": user.has_perm(ADMINISTRATOR),
    }
    return render(request, "dashboard/dashboard.html", context)


def _panel(request: HttpRequest, name: str):
    item = PANELS.get(name)
    if item is None:
        raise Http404("No such panel.")
    if not item.allowed(request.user):
        raise PermissionDenied
    return item


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
def panel(request: HttpRequest, name: str) -> HttpResponse:
    """One panel: its partial for htmx, a page of its own without JavaScript."""
    item = _panel(request, name)
    try:
        context = {**item.build(request), "error": ""}
    except OMTraderError as error:
        context = {"error": panel_failed(error, item.title)}
    context["panel"] = item
    context["body"] = f"dashboard/panels.html#{item.name}"
    template = "dashboard/panels.html"
    return render(request, f"{template}#panel" if wants_partial(request) else
                  "dashboard/panel_page.html", context)


def _chart(request: HttpRequest, name: str) -> charts.Chart:
    item = charts.CHARTS.get(name)
    if item is None:
        raise Http404("No such chart.")
    if not item.allowed(request.user):
        raise PermissionDenied
    return item


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """One chart (database only, but its history grows): loaded like a panel; without
    JavaScript a page of its own, the SVG and its table drawn by the server."""
    item = _chart(request, name)
    data = item.data(request)
    context = {"chart": item, "data": data, "svg": charts.svg(data, item.kind),
               "note": charts.note_of(item)}
    return render(request, "dashboard/chart.html" if wants_partial(request) else
                  "dashboard/chart_page.html", context)


@require_GET
def chart_csv(request: HttpRequest, name: str) -> HttpResponse:
    item = _chart(request, name)
    data = item.data(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{item.name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow([safe(name) for name in data.header()])  # group names: no formulas
    writer.writerows([[safe(str(v)) if isinstance(v, str) else ("" if v is None else v)
                       for v in row] for row in data.rows()])
    return response
