"""Project-wide pages: the health check and the error pages (the dashboard is
crmportal/dashboard)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.htmx import render_error


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers and its database is reachable."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        record(
            "access.denied",
            entity_type="page",
            entity_id=request.path[:64],
            outcome=AuditEntry.Outcome.DENIED,
            detail=f"{request.method} {request.get_full_path()[:500]}",
            request=request,
        )
    message = str(exception) if exception and str(exception) else ""
    return render_error(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render_error(request, "404.html", None, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render_error(request, "500.html", None, status=500)
