"""Sign-in security: lockouts are audited (django-axes strikes after repeated
failures), roles that need a second factor cannot go further without it, and
idle sessions end.  The middleware is listed in ``config/settings/base.py``."""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from cim import roles
from cim.services.audit import audit_record
from config.common.errors import error_body


@receiver(user_locked_out, dispatch_uid="cim.audit_lockout")
def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    with transaction.atomic():
        audit_record(actor="security", action="auth.lockout", object_type="auth.user",
                     object_id=username or "",
                     after={"username": username or "", "ip_address": ip_address or ""},
                     note="too many failed logins")


# -- second factor and idle sessions -------------------------------------------

_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/P/", "/p/", "/track/", "/healthz")


def _signed_in_candidate(request) -> bool:
    """Whether the request may carry a signed-in session.  Looking at
    ``request.user`` reads the session, which adds ``Vary: Cookie``: anonymous
    pages (the cached scan page above all) must not pay for that."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and hasattr(request, "user")


def second_factor_required(user) -> bool:
    """Whether ``user`` must sign in with an authenticator (by role)."""
    required = getattr(settings, "TWO_FACTOR_REQUIRED_ROLES", ())
    return bool(required) and roles.has_role(user, *required)


class RequireSecondFactorMiddleware:
    """Users whose role requires a second factor reach nothing but the sign-in
    and enrolment pages until their session is verified: pages redirect to
    enrolment (no authenticator yet) or to sign-in, the API answers 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _signed_in_candidate(request) or request.path.startswith(_EXEMPT_PREFIXES):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and second_factor_required(user) and not user.is_verified():
            if request.path.startswith("/api/") or request.path.startswith("/ws/"):
                return JsonResponse(error_body("second_factor_required",
                                               "sign in with your authenticator code first"), status=403)
            if user_has_device(user):
                logout(request)
                return redirect(f"{reverse('login')}?next={request.path}")
            return redirect(f"{reverse('two-factor-setup')}?next={request.path}")
        return self.get_response(request)


class IdleSessionTimeoutMiddleware:
    """Signs a user out after ``SESSION_IDLE_TIMEOUT_S`` seconds without a
    request (0: never).  The time of the last request is written to the
    session at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = int(getattr(settings, "SESSION_IDLE_TIMEOUT_S", 0) or 0)
        if timeout and _signed_in_candidate(request) and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("cim_last_seen")
            if last is not None and now - int(last) > timeout:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(error_body("session_expired", "signed out after inactivity"),
                                        status=401)
                return redirect(f"{reverse('login')}?next={request.path}&idle=1")
            if last is None or now - int(last) >= 60:
                request.session["cim_last_seen"] = now
        return self.get_response(request)
