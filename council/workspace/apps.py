"""The workspace's Django app: roles are (re)made after every migration."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _make_roles(**_kwargs: Any) -> None:
    from council.workspace.roles import ensure_roles

    ensure_roles()


class WorkspaceConfig(AppConfig):
    name = "council.workspace"
    label = "workspace"
    verbose_name = "Council workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_make_roles, sender=self)
