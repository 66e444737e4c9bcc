"""Staff accounts: made by the CLI or an admin, each with exactly one role and never a
default password (one is generated and shown once, or typed by the person)."""

from __future__ import annotations

import secrets

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from council.workspace import audit
from council.workspace.roles import ROLE_PERMISSIONS, ensure_roles


class AccountError(Exception):
    """A staff account that cannot be made or changed as asked, in plain words."""


def generate_password() -> str:
    # Five groups of four: long enough to be strong, easy to type from a printout.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(5))


def add_user(username: str, role: str, actor: str, password: str | None = None
             ) -> tuple[User, str]:
    """A new account with ``role``; returns it and its first password (shown once)."""
    if role not in ROLE_PERMISSIONS:
        raise AccountError(f"no role {role!r}; roles are {', '.join(ROLE_PERMISSIONS)}")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"there is already an account called {username}")
    password = password or generate_password()
    candidate = User(username=username)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    ensure_roles()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password)
        user.groups.set([Group.objects.get(name=role)])
    audit.record(actor, "user-add", target=username, detail={"role": role})
    return user, password


def change_user(user: User, actor: str, *, role: str | None = None,
                active: bool | None = None, reset_two_factor: bool = False,
                new_password: bool = False) -> str | None:
    """Change a role, enable/disable, forget the authenticator or set a new password
    (returned, to show once)."""
    changes: dict[str, object] = {}
    password: str | None = None
    with transaction.atomic():
        if role and role in ROLE_PERMISSIONS:
            user.groups.set([Group.objects.get(name=role)])
            changes["role"] = role
        if active is not None and active != user.is_active:
            user.is_active = active
            changes["active"] = active
        if reset_two_factor:
            TOTPDevice.objects.filter(user=user).delete()
            changes["two_factor"] = "reset"
        if new_password:
            password = generate_password()
            user.set_password(password)
            changes["password"] = "new"
        user.save()
    if changes:
        audit.record(actor, "user-change", target=user.username, detail=changes)
    return password
