"""Logging goes to a rotating file; uncaught errors are logged, never shown as tracebacks."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import qWarning

from booth import logs


@pytest.fixture
def restore_hooks() -> Iterator[None]:
    saved = (sys.excepthook, threading.excepthook, logging.getLogger().level)
    yield
    sys.excepthook, threading.excepthook = saved[0], saved[1]
    logging.getLogger().setLevel(saved[2])
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "_booth", False):
            logging.getLogger().removeHandler(handler)
            handler.close()


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


@pytest.mark.usefixtures("restore_hooks")
def test_log_file_is_written_in_the_log_folder(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path / "logs")
    logging.getLogger("booth.test").info("hello from the test")
    _flush()
    assert path == tmp_path / "logs" / "booth.log"
    assert "hello from the test" in path.read_text(encoding="utf-8")


@pytest.mark.usefixtures("restore_hooks")
def test_setting_up_twice_does_not_double_log(tmp_path: Path) -> None:
    logs.setup_logging(tmp_path)
    path = logs.setup_logging(tmp_path)
    logging.getLogger("booth.test").info("once only")
    _flush()
    assert path.read_text(encoding="utf-8").count("once only") == 1


@pytest.mark.usefixtures("restore_hooks")
def test_uncaught_exceptions_are_logged_and_listeners_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = logs.setup_logging(tmp_path)
    logs.install_excepthook()
    seen: list[BaseException] = []
    logs.add_error_listener(seen.append)
    try:
        try:
            raise RuntimeError("camera fell over")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        worker = threading.Thread(target=lambda: 1 / 0, name="worker")
        worker.start()
        worker.join()
    finally:
        logs.remove_error_listener(seen.append)
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "camera fell over" in text
    assert "ZeroDivisionError" in text
    assert [type(e) for e in seen] == [RuntimeError, ZeroDivisionError]
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.usefixtures("restore_hooks")
def test_a_failing_listener_does_not_stack_a_second_failure(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path)
    logs.install_excepthook()

    def broken(exc: BaseException) -> None:
        raise ValueError("listener broke")

    logs.add_error_listener(broken)
    try:
        exc = KeyError("x")
        sys.excepthook(KeyError, exc, None)
    finally:
        logs.remove_error_listener(broken)
    _flush()
    assert "error listener failed" in path.read_text(encoding="utf-8")


@pytest.mark.usefixtures("restore_hooks")
def test_qt_messages_are_routed_into_the_log(tmp_path: Path) -> None:
    from PySide6.QtCore import qInstallMessageHandler

    path = logs.setup_logging(tmp_path)
    previous = qInstallMessageHandler(None)
    try:
        logs.install_qt_message_handler()
        qWarning("a message from Qt")
    finally:
        qInstallMessageHandler(previous)
    _flush()
    assert "a message from Qt" in path.read_text(encoding="utf-8")
