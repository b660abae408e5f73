"""A member's live sockets follow changes to the member at once: signing out ends them, and a
change to the user (active), their role (groups) or their scope (StaffProfile) makes each
socket re-check. The sockets' own timer (LIVE_RECHECK_SECONDS) catches everything else
(an expired session, a change made where these signals cannot reach the sockets)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from crmportal.live import publish
from crmportal.staff.models import StaffProfile

log = logging.getLogger("crmportal.live")

User = get_user_model()


def _tell(send, user_id: int, *args) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(send)(layer, user_id, *args)
    except Exception:  # noqa: BLE001 - the change itself must not fail; the timer catches up
        log.warning("live: could not reach the sockets of member %s", user_id, exc_info=True)


def _recheck_after_commit(user_id: int) -> None:
    # After the commit: the sockets read the member from the database, in other connections.
    transaction.on_commit(lambda: _tell(publish.recheck_member, user_id))


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None and user.pk is not None:
        _tell(publish.end_member, user.pk, "Signed out")


@receiver(post_save, sender=User)
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or update_fields == frozenset({"last_login"}):
        return  # a new member has no sockets; a sign-in changes nothing they may see
    _recheck_after_commit(instance.pk)


@receiver(m2m_changed, sender=User.groups.through)
def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _recheck_after_commit(instance.pk)
    elif pk_set:  # group.user_set changed: pk_set holds the members
        for user_id in pk_set:
            _recheck_after_commit(user_id)


@receiver(post_save, sender=StaffProfile)
@receiver(post_delete, sender=StaffProfile)
def _scope_changed(sender, instance, **kwargs):
    _recheck_after_commit(instance.user_id)
