from __future__ import annotations

import zoneinfo

from django.utils import timezone

from crmportal.staff.models import StaffProfile


class StaffTimezoneMiddleware:
    """Show dates in the signed-in staff member's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = self._zone_for(request.user) if request.user.is_authenticated else None
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)

    @staticmethod
    def _zone_for(user):
        name = StaffProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
        try:
            return zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None
