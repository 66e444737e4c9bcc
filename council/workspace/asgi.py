"""The workspace as an ASGI application (uvicorn serves it, as it serves the ingest server)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council.workspace.settings")
application = get_asgi_application()
