"""Helpers every page uses: the permission gate, the acting staff name, paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from council.workspace.context import Workspace, current

View = TypeVar("View", bound=Callable[..., Any])


def allowed(permission: str) -> Callable[[View], View]:
    """Refuse (403) any signed-in member of staff whose role lacks ``permission``.

    Signing in and the second factor are checked before any view by the middleware."""

    def wrap(view: View) -> View:
        return permission_required(f"workspace.{permission}", raise_exception=True)(view)

    return wrap


def actor(request: HttpRequest) -> str:
    return str(request.user.get_username())


def workspace() -> Workspace:
    return current()


def page_of(request: HttpRequest, items: Any, per_page: int = 50) -> Page[Any]:
    number = request.GET.get("page", "1")
    return Paginator(items, per_page).get_page(number if number.isdigit() else 1)
