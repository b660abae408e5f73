"""The confirm page's one-time token: it is signed with what the member confirms (account,
type, amount, comment) and who they are, and its nonce becomes the operation's unique
`token` column, so the database refuses a second submission of the same page."""

from __future__ import annotations

import secrets

from django.core import signing

SALT = "crmportal.money.confirm"
MAX_AGE = 30 * 60  # a confirm page left open longer must be filled in again


class BadToken(ValueError):
    pass


def issue(user, account_id: int, kind: str, amount: str, comment: str) -> str:
    return signing.dumps({"n": secrets.token_hex(16), "u": user.pk, "a": account_id, "t": kind,
                          "m": amount, "c": comment}, salt=SALT, compress=True)


def read(token: str, user, account_id: int) -> dict:
    """The confirmed values; BadToken when missing, forged, stale or not this member's."""
    if not token:
        raise BadToken("This confirmation has no one-time token: start the operation again.")
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken("This confirm page is older than 30 minutes: start the operation "
                       "again.") from None
    except signing.BadSignature:
        raise BadToken("This confirmation's one-time token is not valid: start the "
                       "operation again.") from None
    if data.get("u") != user.pk or data.get("a") != account_id:
        raise BadToken("This confirmation was made for another member or account: start "
                       "the operation again.")
    return data
