"""Staff roles (Django groups of the workspace's permissions), the sign-in gate every
request passes, and the navigation each role sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

REVIEWER = "reviewer"
LEAD = "safeguarding-lead"
ANALYST = "analyst"
ADMIN = "admin"

ROLE_LABELS = {
    REVIEWER: "Reviewer",
    LEAD: "Safeguarding lead",
    ANALYST: "Analyst",
    ADMIN: "Admin",
}

# What each role may do. Analysts see priorities, never faces; the admin runs the
# system (staff, events, devices, retention) and does not watch videos either.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    REVIEWER: ("view_answers", "watch_video", "review_answer", "download_clip",
               "view_dashboard", "withdraw"),
    LEAD: ("view_answers", "watch_video", "review_answer", "download_clip",
           "handle_concerns", "view_dashboard", "withdraw"),
    ANALYST: ("view_dashboard", "export_csv"),
    ADMIN: ("view_answers", "view_dashboard", "export_csv", "withdraw", "manage_retention",
            "manage_events", "manage_staff", "manage_devices", "view_audit",
            "view_set_aside"),
}

# Two-factor sign-in for every role that can watch a video or hand out access to one.
TOTP_ROLES = frozenset({REVIEWER, LEAD, ADMIN})

# Routes open to a request that has not signed in (the sign-in page and its assets).
OPEN_PREFIXES = ("/sign-in", "/static/")
# Routes a signed-in member of a TOTP role may reach before the second factor.
SECOND_FACTOR_PREFIXES = ("/two-factor", "/sign-out")


def ensure_roles() -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label="workspace", codename__in=codenames
        )
        group.permissions.set(permissions)


def role_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    if not user.is_authenticated:
        return None
    names = list(Group.objects.filter(user__pk=user.pk).values_list("name", flat=True))
    return next((name for name in names if name in ROLE_PERMISSIONS), None)


def needs_second_factor(user: AbstractBaseUser | AnonymousUser) -> bool:
    return role_of(user) in TOTP_ROLES


class SignInRequiredMiddleware:
    """Nothing but the sign-in page and its assets for a request that has not signed in;
    and nothing but the second-factor page for a TOTP role that has not passed it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if not path.startswith(OPEN_PREFIXES):
            user = request.user
            if not user.is_authenticated:
                return HttpResponseRedirect(f"{reverse('workspace:sign-in')}")
            if role_of(user) is None:
                # An account with no role (or a disabled one) sees nothing.
                return HttpResponse("Your account has no role in the workspace.", status=403)
            verified = getattr(user, "is_verified", lambda: False)()
            if (needs_second_factor(user) and not verified
                    and not path.startswith(SECOND_FACTOR_PREFIXES)):
                return HttpResponseRedirect(reverse("workspace:two-factor"))
        return self.get_response(request)


NAVIGATION = (
    ("workspace:answers", "Answers", "workspace.view_answers"),
    ("workspace:concerns", "Safeguarding", "workspace.handle_concerns"),
    ("workspace:dashboard", "Dashboard", "workspace.view_dashboard"),
    ("workspace:withdraw", "Withdraw", "workspace.withdraw"),
    ("workspace:events", "Events", "workspace.manage_events"),
    ("workspace:retention", "Retention", "workspace.manage_retention"),
    ("workspace:staff", "Staff", "workspace.manage_staff"),
    ("workspace:devices", "Kiosks", "workspace.manage_devices"),
    ("workspace:set-aside", "Set aside", "workspace.view_set_aside"),
    ("workspace:audit", "Audit", "workspace.view_audit"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the links this member of staff may follow, and their role."""
    user = request.user
    if not user.is_authenticated:
        return {"nav": [], "role_label": ""}
    verified = getattr(user, "is_verified", lambda: False)()
    if needs_second_factor(user) and not verified:
        return {"nav": [], "role_label": ROLE_LABELS.get(role_of(user) or "", "")}
    links = [
        {"url": reverse(name), "label": label,
         "current": request.path.startswith(reverse(name))}
        for name, label, perm in NAVIGATION if user.has_perm(perm)
    ]
    return {"nav": links, "role_label": ROLE_LABELS.get(role_of(user) or "", "")}
