"""Sync: where sending stands, live progress (bytes, rate, time left), the last success,
why answers wait; sync now; export to a USB stick (taking the council's receipts off it)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QProgressBar, QWidget

from booth.ui.officer.common import LEFT, Section, StickPicker
from booth.ui.officer.model import OfficerBackend
from booth.ui.widgets import button, label

MB = 1_000_000
# The rate is taken over the last few seconds: steady enough to read, quick to follow
# a link that changes.
RATE_WINDOW_S = 5.0


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


class TransferMeter:
    """Bytes, rate and time left of the bundle being sent, from the uploader's progress
    callbacks (``sent`` of ``total`` bytes the server has)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.bundle_id = ""
        self.sent = 0
        self.total = 0
        self._samples: deque[tuple[float, int]] = deque()

    def update(self, bundle_id: str, sent: int, total: int) -> None:
        now = self._clock()
        if bundle_id != self.bundle_id or sent < self.sent:
            self._samples.clear()
        self.bundle_id, self.sent, self.total = bundle_id, sent, total
        self._samples.append((now, sent))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()

    @property
    def rate(self) -> float:
        """Bytes a second over the last few seconds (0 until there are two readings)."""
        if len(self._samples) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._samples[0], self._samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        rate = self.rate
        return (self.total - self.sent) / rate if rate > 0 else None

    def words(self) -> str:
        if not self.total:
            return ""
        text = f"{self.sent / MB:.1f} of {self.total / MB:.1f} MB"
        if self.rate > 0:
            text += f" · {self.rate / MB:.1f} MB/s"
        left = self.seconds_left
        if left is not None and self.sent < self.total:
            text += f" · about {_duration(left)} left"
        return text


class SyncSection(Section):
    """Sync now, the live progress, and export to a stick."""

    title_text = "Sync"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.meter = TransferMeter()
        form = QFormLayout()
        self.state = label("", "body", align=LEFT)
        self.state.setAccessibleName("Sync state")
        self.waiting = label("", "body", align=LEFT)
        self.last = label("", "body", align=LEFT)
        self.why = label("", "muted", align=LEFT)
        form.addRow(label("Now", "body", wrap=False, align=LEFT), self.state)
        form.addRow(label("Waiting", "body", wrap=False, align=LEFT), self.waiting)
        form.addRow(label("Last sent", "body", wrap=False, align=LEFT), self.last)
        self.body.addLayout(form)
        self.body.addWidget(self.why)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Sending progress")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.progress = label("", "muted", align=LEFT)
        self.body.addWidget(self.bar)
        self.body.addWidget(self.progress)
        row = QHBoxLayout()
        self.sync_button = button("Sync now", "primary", accessible="Sync now")
        self.sync_button.clicked.connect(self._sync_now)
        row.addWidget(self.sync_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(label("Export to a USB stick (receipts the council put on it "
                                  "are taken in first):", "body", align=LEFT))
        self.sticks = StickPicker(backend.usb_sticks, "Export to")
        self.sticks.chosen.connect(self._export)
        self.body.addWidget(self.sticks)
        self.body.addStretch(1)
        self._asked = False

    def refresh(self) -> None:
        report = self.backend.sync_report()
        self.state.setText(report.state)
        self.waiting.setText(f"{report.waiting} bundle(s), {report.waiting_bytes / MB:.1f} MB"
                             if report.waiting else "Nothing: every answer has been sent.")
        self.last.setText(report.last_success)
        self.why.setText(report.why_waiting)
        self.why.setVisible(bool(report.why_waiting))
        sending = self.meter.total > 0 and self.meter.sent < self.meter.total
        self.bar.setVisible(sending)
        self.progress.setVisible(sending)

    def entered(self) -> None:
        self.sticks.refresh()
        self.refresh()

    def show_progress(self, bundle_id: str, sent: int, total: int) -> None:
        self.meter.update(bundle_id, sent, total)
        self.bar.setValue(round(1000 * sent / total) if total else 0)
        self.progress.setText(self.meter.words())
        self.bar.setVisible(sent < total)
        self.progress.setVisible(sent < total)

    def sync_finished(self) -> None:
        """The controller left "syncing": the "sending now" line has had its day."""
        if self._asked:
            self._asked = False
            report = self.backend.sync_report()
            self.say(f"Sync finished: {report.state}" if report.waiting == 0 else
                     f"Sync stopped: {report.state} {report.why_waiting}".strip())
        self.refresh()

    def _sync_now(self) -> None:
        self._asked = True
        self.run(self.backend.sync_now)

    def _export(self, path: str) -> None:
        self.run_in_background(lambda: self.backend.export_to(path), "Copying to the stick…")
