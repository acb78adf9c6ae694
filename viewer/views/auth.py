"""Sign-in with a second factor (TOTP, django-otp) and its enrolment page.

A user with a confirmed authenticator app types its six-digit code after the
password; roles named in ``TWO_FACTOR_REQUIRED_ROLES`` (administrators by
default) must enrol one before they can use anything else
(:class:`cim.security.RequireSecondFactorMiddleware`).
"""

from __future__ import annotations

from base64 import b32encode

import segno
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from cim.services.audit import audit_record

_TOKEN = forms.RegexField(regex=r"^\s*\d{6}\s*$", required=False, label=_("动态口令"),
                          error_messages={"invalid": _("动态口令是 6 位数字。")},
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                        "inputmode": "numeric"}))


class SignInForm(AuthenticationForm):
    """Username and password, then the authenticator code where the user has one."""

    otp_token = _TOKEN

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and user_has_device(user):
            token = (cleaned.get("otp_token") or "").strip()
            if not token:
                raise forms.ValidationError(_("请输入身份验证器中的 6 位动态口令。"), code="otp_required")
            device = match_token(user, token)
            if device is None:
                raise forms.ValidationError(_("动态口令不正确或已过期。"), code="otp_invalid")
            user.otp_device = device  # django-otp marks the session verified on login
        return cleaned


class SignInView(auth_views.LoginView):
    form_class = SignInForm


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, dark="#1b2733")


@method_decorator(login_required, name="dispatch")
class TwoFactorSetupView(View):
    """Enrol an authenticator app: scan the QR code, type one code to confirm."""

    template_name = "registration/two_factor_setup.html"

    def _device(self, user) -> TOTPDevice:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)

    def _page(self, request, device, error="", status=200):
        return render(request, self.template_name, {
            "error": error, "qr_svg": _qr_svg(device.config_url),
            "secret": b32encode(device.bin_key).decode(),
            "enrolled": user_has_device(request.user),
        }, status=status)

    def get(self, request):
        return self._page(request, self._device(request.user))

    def post(self, request):
        device = self._device(request.user)
        token = (request.POST.get("otp_token") or "").strip()
        if not (token.isdigit() and len(token) == 6 and device.verify_token(token)):
            return self._page(request, device, _("动态口令不正确或已过期，请重新输入。"), status=400)
        with transaction.atomic():
            TOTPDevice.objects.filter(user=request.user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(actor=request.user, action="auth.two_factor_enrol", obj=request.user,
                         note="authenticator app enrolled")
        otp_login(request, device)
        return redirect(request.GET.get("next") or "/")
