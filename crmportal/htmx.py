"""How a view decides between the whole page and one of its named partials."""

from __future__ import annotations

from django.http import HttpRequest

# Views that answer htmx with a partial vary on these, so caches keep both answers apart.
PARTIAL_HEADERS = ("HX-Request", "HX-History-Restore-Request")


def wants_partial(request: HttpRequest) -> bool:
    """htmx asks for a panel; a history restore (back button, cache miss) wants the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request
