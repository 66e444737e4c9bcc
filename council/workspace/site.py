"""The root URL configuration: the workspace's routes under their namespace."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("", include("council.workspace.urls"))]
