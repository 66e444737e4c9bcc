"""A voice answer's waveform on review: one bar per slice of the recording, as tall as its
loudest moment (``booth.capture.waveform.peak_envelope``), the part already played darker.
Time runs the way the person reads: from the right in Urdu and Arabic."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Bars shown for an answer, whatever its length.
POINTS = 120
_QUIET = 0.04  # the smallest bar: silence still shows as a line


class Waveform(QWidget):
    """The shape of a recorded voice, and how much of it has been played back."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._peaks: list[float] = []
        self._played = 0.0
        self.setMinimumSize(320, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(640, 240)

    def peaks(self) -> list[float]:
        return list(self._peaks)

    def set_peaks(self, peaks: Sequence[float]) -> None:
        self._peaks = [max(0.0, min(1.0, float(p))) for p in peaks]
        self._played = 0.0
        self.update()

    def set_played(self, share: float) -> None:
        """How much has been played back, 0..1."""
        self._played = max(0.0, min(1.0, share))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#20262E"))
        painter.drawRoundedRect(area, 18, 18)
        peaks = self._peaks
        if peaks:
            inner = area.adjusted(24, 24, -24, -24)
            step = inner.width() / len(peaks)
            middle = inner.center().y()
            mirrored = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
            for index, peak in enumerate(peaks):
                height = max(_QUIET, peak) * inner.height()
                played = (index + 0.5) / len(peaks) <= self._played
                painter.setBrush(QColor("#7FD1AE" if played else "#FFFFFF"))
                slot = len(peaks) - 1 - index if mirrored else index
                x = inner.left() + slot * step + step * 0.15
                painter.drawRoundedRect(QRectF(x, middle - height / 2, step * 0.7, height),
                                        2, 2)
        painter.end()
