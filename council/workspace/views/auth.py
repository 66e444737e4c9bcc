"""Signing in: password (throttled by django-axes), then TOTP for roles that need it."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import logout, user_logged_in, user_login_failed
from django.contrib.auth.views import LoginView
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from council.workspace import audit
from council.workspace.forms import TokenForm
from council.workspace.roles import NAVIGATION, needs_second_factor, role_of


class SignInView(LoginView):
    template_name = "workspace/sign_in.html"
    redirect_authenticated_user = True

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.fields["username"].widget.attrs.update({"class": "govuk-input"})
        form.fields["password"].widget.attrs.update({"class": "govuk-input"})
        return form


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if request is not None and not needs_second_factor(user):
        audit.record(user.get_username(), "sign-in", detail={"second_factor": "not needed"})


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                    **_: Any) -> None:
    name = str(credentials.get("username", ""))[:150]
    audit.record(name or "(no name)", "sign-in-failed")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(request.user.get_username(), "sign-out")
    logout(request)
    return HttpResponseRedirect(reverse("workspace:sign-in"))


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode("utf-8")
    return text[text.index("<svg"):]


def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (first time) or enter its code (every sign-in)."""
    user = request.user
    if not needs_second_factor(user) or getattr(user, "is_verified", lambda: False)():
        return HttpResponseRedirect(reverse("workspace:home"))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if device is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator",
                                               confirmed=False)
    form = TokenForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            if setting_up:
                device.confirmed = True
                device.save()
                audit.record(user.get_username(), "two-factor-set-up")
            otp_login(request, device)
            audit.record(user.get_username(), "sign-in", detail={"second_factor": "totp"})
            return HttpResponseRedirect(reverse("workspace:home"))
        error = ("That code is not right. Codes change every 30 seconds: enter the one "
                 "your app shows now." if allowed else
                 "Too many wrong codes: wait a minute, then try again.")
    context: dict[str, Any] = {"form": form, "error": error, "setting_up": setting_up}
    if setting_up:
        secret = device.bin_key
        context["secret"] = base64.b32encode(secret).decode("ascii").rstrip("=")
        context["qr_svg"] = _qr_svg(device.config_url)
    return render(request, "workspace/two_factor.html", context,
                  status=400 if request.method == "POST" else 200)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A POST without a valid CSRF token (Django has logged it): our page, not Django's
    (which carries inline styles the content security policy refuses)."""
    del reason
    return render(request, "workspace/expired.html", status=403)


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on the first page it may use."""
    for name, _label, permission in NAVIGATION:
        if request.user.has_perm(permission):
            return HttpResponseRedirect(reverse(name))
    return HttpResponse(f"No page for the role {role_of(request.user)}.", status=403)
