"""Logging: a rotating file, Qt's own messages routed in, and an excepthook that never
shows a traceback to the public."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

LOG_FILE_NAME = "booth.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

log = logging.getLogger("booth")

ErrorListener = Callable[[BaseException], None]
_error_listeners: list[ErrorListener] = []


def setup_logging(log_dir: Path, level: int = logging.INFO, to_console: bool = False) -> Path:
    """Log to ``log_dir/booth.log`` (rotating, 5 x 2 MB); return the file's path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_booth", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler._booth = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if to_console:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        console._booth = True  # type: ignore[attr-defined]
        root.addHandler(console)
    root.setLevel(level)
    return path


def add_error_listener(listener: ErrorListener) -> None:
    """Called (on the thread that failed) after an uncaught exception has been logged.
    The kiosk uses this to move the journey to its failsafe screen."""
    _error_listeners.append(listener)


def remove_error_listener(listener: ErrorListener) -> None:
    if listener in _error_listeners:
        _error_listeners.remove(listener)


def _excepthook(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("uncaught exception", exc_info=(exc_type, exc, tb))
    for listener in list(_error_listeners):
        try:
            listener(exc)
        except Exception:  # a listener must never stack a second failure on the first
            log.exception("error listener failed")


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    _excepthook(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthook() -> None:
    """Log uncaught exceptions (main and worker threads) instead of printing tracebacks."""
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def install_qt_message_handler() -> None:
    """Route Qt's qDebug/qWarning/... into ``logging`` under the ``qt`` logger."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        category = context.category or "default"
        qt_log.log(levels.get(mode, logging.WARNING), "[%s] %s", category, message)

    qInstallMessageHandler(handler)
