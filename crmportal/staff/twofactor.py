"""The second factor: who must use it, the TOTP device, recovery codes, and the one function
that checks a code. Pages (views_twofactor.py), the middleware (twofactor_middleware.py) and
the live sockets ask the same questions here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from crmportal.staff.models import RecoveryCode
from crmportal.staff.roles import ROLE_SLUGS

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_CODE_LENGTH = 10


def required_role_names(raw: str | None = None) -> frozenset[str] | None:
    """The roles that must use a second factor: None means every member, whatever the role."""
    value = (settings.OTP_REQUIRED_ROLES if raw is None else raw).strip().lower()
    if value == "all":
        return None
    if value == "none":
        return frozenset()
    return frozenset(ROLE_SLUGS[slug.strip()] for slug in value.split(",") if slug.strip())


def must_use(user) -> bool:
    """True when the member's role (or the setting "all") requires a second factor."""
    required = required_role_names()
    if required is None:
        return True
    return bool(required) and user.groups.filter(name__in=required).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id").first()


def has_device(user) -> bool:
    return confirmed_device(user) is not None


def passed_in_session(user, session) -> bool:
    """True when this session has passed the member's second factor (a confirmed device of
    theirs is remembered in it)."""
    otp_device = getattr(user, "otp_device", None)  # set by django-otp's middleware on pages
    if otp_device is not None:
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == user.pk and device.confirmed


def needs_second_factor(user, session) -> bool:
    """True when this session has not passed the second factor but the member must pass it:
    they have a device, or their role requires one (then they must enrol first)."""
    if user is None or not user.is_authenticated:
        return False
    if passed_in_session(user, session):
        return False
    return has_device(user) or must_use(user)


# Enrolment -----------------------------------------------------------------------------------


def pending_device(user) -> TOTPDevice:
    """The device being enrolled: the same key until it is confirmed, so a reload shows the
    same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// address as an inline SVG QR code. segno writes the whole SVG (the
    address is encoded in the modules, never written as text), so only this is marked safe."""
    code = segno.make(device.config_url, error="m")
    return mark_safe(code.svg_inline(scale=4, border=2, dark="#000", light="#fff"))


@transaction.atomic
def confirm_enrolment(device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending device with a code from the app; the new recovery codes, or None."""
    if not _clean_digits(token) or not device.verify_token(_clean_digits(token)):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user)


def remove_second_factor(user) -> int:
    """Drop every device and recovery code of the member; how many devices were confirmed."""
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).count()
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    return confirmed


# Recovery codes ------------------------------------------------------------------------------


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _normalize_recovery(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the member's recovery codes; the codes are returned once and stored hashed."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        salt = secrets.token_hex(16)
        RecoveryCode.objects.create(user=user, salt=salt, code_hash=_hash(salt, code))
        codes.append(f"{code[:5]}-{code[5:]}")
    return codes


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _use_recovery_code(user, text: str) -> bool:
    code = _normalize_recovery(text)
    if len(code) != RECOVERY_CODE_LENGTH:
        return False
    unused = RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True)
    for row in unused:
        if hmac.compare_digest(row.code_hash, _hash(row.salt, code)):
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            return True
    return False


# Checking a code -----------------------------------------------------------------------------


def _clean_digits(token: str) -> str:
    digits = "".join(ch for ch in token if not ch.isspace())
    return digits if digits.isdigit() and len(digits) <= 8 else ""


@transaction.atomic
def check_code(user, token: str) -> tuple[TOTPDevice | None, str]:
    """Check a TOTP code first, then a recovery code. Returns the member's device and "totp"
    or "recovery" when one matched, else (None, "")."""
    device = (
        TOTPDevice.objects.devices_for_user(user, confirmed=True)
        .select_for_update().order_by("id").first()
    )
    if device is None:
        return None, ""
    digits = _clean_digits(token or "")
    if digits:
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(digits):
            return device, "totp"
        return None, ""
    if _use_recovery_code(user, token or ""):
        return device, "recovery"
    return None, ""
