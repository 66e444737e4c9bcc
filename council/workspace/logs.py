"""Logging for the workspace: refused requests are logged in one line, not a traceback."""

from __future__ import annotations

import logging


class OneLineFor4xx(logging.Filter):
    """A 4xx (a refused role, a bad id, a missing CSRF token) is the workspace doing its
    job: log what and where, without the stack Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if int(getattr(record, "status_code", 500) or 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
