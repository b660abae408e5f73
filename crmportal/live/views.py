"""The supervisor board page. Its panels arrive over the socket (consumers.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crmportal.live.render import Scope
from crmportal.omtrader.client import get_omtrader
from crmportal.paging import positive_int
from crmportal.staff.scope import group_scope, may_see_group

SOCKET_PATH = "/ws/live/"


def _groups_for(user) -> list:
    """The groups the member may filter by: those holding accounts (leaves), in scope."""
    groups = get_omtrader().groups_cached()
    parents = {g.parent_id for g in groups}
    allowed = group_scope(user).limit
    return sorted(
        (g for g in groups if g.id not in parents and (allowed is None or g.id in allowed)),
        key=lambda g: g.id,
    )


@require_GET
@permission_required("staff.view_live_board", raise_exception=True)
def board(request: HttpRequest) -> HttpResponse:
    allowed = group_scope(request.user).limit
    groups = _groups_for(request.user)
    names = {g.id: g.name for g in groups}
    selected = positive_int(request.GET.get("group"), 0) or None
    if selected is not None:
        if not may_see_group(request.user, selected):
            raise Http404("No such group.")  # out of scope answers like missing
        scopes = [Scope.group(selected)]
        label = names.get(selected, f"Group {selected}")
    elif allowed is None:
        scopes = [Scope.all()]
        label = "All groups"
    else:
        several = len(allowed) > 1
        scopes = [Scope.group(g, names.get(g, f"Group {g}") if several else "")
                  for g in sorted(allowed)]
        label = ", ".join(names.get(g, f"Group {g}") for g in sorted(allowed))
    context = {
        "groups": groups,
        "selected_group": selected,
        "may_see_all": allowed is None,
        "no_groups": allowed is not None and not allowed,
        "scopes": scopes,
        "view_label": label,
        "ws_path": SOCKET_PATH + (f"?group={selected}" if selected else ""),
        "rows": [],
        "feed": [],
        "status": None,
    }
    return render(request, "live/board.html", context)
