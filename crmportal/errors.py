"""Turn service-layer errors that escape a view into friendly pages, never a 500.

Views handle refusals of their own writes (field errors land on the form); a refusal that
escapes a view is a read OMTrader would not answer (a 4xx other than 401/403/404): the page
says so with OMTrader's message, status 502."""

from __future__ import annotations

import logging

from django.http import Http404

from crmportal.htmx import page_url, render_error
from crmportal.omtrader.errors import Forbidden, NotFound, Rejected, Unauthorized, Unavailable

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
            context = {"reason": _reason(exception), "retry_url": page_url(request)}
            return render_error(request, "omtrader_unavailable.html", context, status=503,
                                partial="unavailable-panel")
        if isinstance(exception, Rejected):
            log.warning("OMTrader refused a read for %s: %s", request.path, exception.message)
            context = {"message": exception.message, "retry_url": page_url(request)}
            return render_error(request, "omtrader_refused.html", context, status=502,
                                partial="refused-panel")
        return None


def _reason(exception: Exception) -> str:
    if isinstance(exception, Forbidden):
        return "The portal's OMTrader account is not allowed to do this (a manager-rights problem)."
    if isinstance(exception, Unauthorized):
        return "The portal's OMTrader credentials were refused."
    return "OMTrader did not answer in time or answered with an error."
