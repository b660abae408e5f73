"""Turn service-layer errors that escape a view into friendly pages, never a 500, and word
what a failed write means (`failed_write`), so every area says the same thing.

Views handle refusals of their own writes (field errors land on the form); a refusal that
escapes a view is a read OMTrader would not answer (a 4xx other than 401/404): the page
says so with OMTrader's message, status 502. A 403 is OMTrader refusing the portal's own
account, which the page says in those words."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import Http404

from crmportal.htmx import page_url, render_error
from crmportal.omtrader.errors import (
    Forbidden,
    NotFound,
    OMTraderError,
    Rejected,
    ServerError,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)


class OMTraderErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
        if isinstance(exception, (Unavailable, Unauthorized)):
            log.warning("OMTrader unavailable for %s: %s", request.path, exception.message)
            context = {"reason": f"{what_happened(exception)}.", "retry_url": page_url(request)}
            return render_error(request, "omtrader_unavailable.html", context, status=503,
                                partial="unavailable-panel")
        if isinstance(exception, (Rejected, Forbidden)):
            log.warning("OMTrader refused a read for %s: %s", request.path, exception.message)
            message = exception.message
            if isinstance(exception, Forbidden):
                message = f"{FORBIDDEN}. {FIX_RIGHTS} ({exception.message})"
            context = {"message": message, "retry_url": page_url(request)}
            return render_error(request, "omtrader_refused.html", context, status=502,
                                partial="refused-panel")
        return None


FORBIDDEN = "OMTrader refused the portal's account: its manager rights do not cover this"
FIX_RIGHTS = "An administrator can fix the account's rights in OMTrader"


def what_happened(error: OMTraderError) -> str:
    """One phrase for what went wrong, as a member should read it."""
    if isinstance(error, Forbidden):
        return FORBIDDEN
    if isinstance(error, Unauthorized):
        return "OMTrader refused the portal's credentials"
    if isinstance(error, NotFound):
        return "OMTrader no longer has this record"
    if isinstance(error, Rejected):
        return f"OMTrader refused it: {error.message}"
    if isinstance(error, ServerError):
        return f"OMTrader answered with an error (HTTP {error.status})"
    if error.maybe_applied:
        return "OMTrader did not answer in time"
    return "OMTrader could not be reached"


def failed_write(error: OMTraderError, what: str = "change") -> str:
    """What a member is told when a write failed, by what is known of it: only an unknown
    outcome says "may or may not have been saved"."""
    if isinstance(error, Forbidden):
        return f"{FORBIDDEN}. {FIX_RIGHTS}; the {what} was not saved."
    if isinstance(error, Rejected):
        return f"OMTrader refused the {what}: {error.message}"
    if error.maybe_applied:
        return (f"{what_happened(error)}; the {what} may or may not have been saved. "
                "Reload and check before you retry, so it is not made twice.")
    advice = ("Tell an administrator." if isinstance(error, Unauthorized)
              else "Try again in a moment." if isinstance(error, Unavailable) else "")
    return f"{what_happened(error)}; the {what} was not saved. {advice}".strip()


def write_failed(write: Callable[[], object], what: str, refused: str = "") -> str:
    """Run a view's write: "" when it went through, else what the member is told (`refused`
    and OMTrader's message when OMTrader refused it and `refused` is given)."""
    try:
        write()
    except Rejected as error:
        return f"{refused}: {error.message}" if refused else failed_write(error, what)
    except OMTraderError as error:
        return failed_write(error, what)
    return ""


def panel_failed(error: OMTraderError, what: str) -> str:
    """The notice on one panel of a page that could not be loaded (the rest of the page was)."""
    return f"{what} could not be loaded: {what_happened(error)}. Reload the page to try again."
