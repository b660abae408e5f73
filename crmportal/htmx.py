"""How a view decides between the whole page and one of its named partials, and how an error
reaches an htmx request: swapped into the page's alert region (templates/base.html)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import push_url, reswap, retarget

# Views that answer htmx with a partial vary on these, so caches keep both answers apart.
PARTIAL_HEADERS = ("HX-Request", "HX-History-Restore-Request")
# The one element every page has for errors met by htmx requests (base.html).
ALERTS = "#alerts"


def wants_partial(request: HttpRequest) -> bool:
    """htmx asks for a panel; a history restore (back button, cache miss) wants the page."""
    htmx = getattr(request, "htmx", None)  # absent when an error precedes HtmxMiddleware
    return bool(htmx) and not htmx.history_restore_request


def page_url(request: HttpRequest) -> str:
    """The address to try again: for htmx's writes the page the member is on, else this one."""
    htmx = getattr(request, "htmx", None)
    if htmx and request.method not in ("GET", "HEAD") and htmx.current_url_abs_path:
        return htmx.current_url_abs_path
    return request.get_full_path()


def render_error(request: HttpRequest, template: str, context: dict | None, *, status: int,
                 partial: str = "error-panel") -> HttpResponse:
    """An error page, or for htmx its panel in the alert region. htmx swaps 4xx/5xx answers
    (responseHandling in base.html); this puts them in #alerts instead of the list or form
    that asked, and keeps the address bar where it was."""
    if not wants_partial(request):
        return render(request, template, context, status=status)
    response = render(request, f"{template}#{partial}", context, status=status)
    return push_url(reswap(retarget(response, ALERTS), "innerHTML"), False)
