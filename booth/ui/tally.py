"""The tally's bars: what others at this event chose, one row of words and a bar each."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from booth.i18n import tr
from booth.ui.looks import LookStyle
from booth.ui.widgets import label


class _Bar(QWidget):
    """One bar of the tally: a share of the widest, darker for the person's own choice."""

    def __init__(self, share: float, mine: bool, style: LookStyle) -> None:
        super().__init__()
        self._share = share
        self._mine = mine
        self._style = style
        self.setMinimumSize(60, 20)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self._style
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        height = min(self.height() * 0.7, s.body_px * 1.2)
        length = max(8.0, self.width() * self._share)
        # A bar grows the way the person reads: from the right in Urdu and Arabic.
        start = (self.width() - length
                 if self.layoutDirection() == Qt.LayoutDirection.RightToLeft else 0.0)
        bar = QRectF(start, (self.height() - height) / 2, length, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(s.chosen if self._mine else s.bar))
        painter.drawRoundedRect(bar, 6, 6)
        painter.end()


class TallyBars(QWidget):
    """What others at this event chose, one row each: picture, words (wrapping), bar and
    count. Rows are (icon, label, count, chosen by this person); those chosen have ✔."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = style
        self._rows: list[tuple[str, str, int, bool]] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: read by screen readers for the bar chart of what others chose.
        self.setAccessibleName(tr("What others chose"))

    def rows(self) -> list[tuple[str, str, int, bool]]:
        return list(self._rows)

    def set_style(self, style: LookStyle) -> None:
        self._style = style
        self.set_rows(self._rows)

    def set_rows(self, rows: Sequence[tuple[str, str, int, bool]]) -> None:
        self._rows = list(rows)
        grid = self._grid
        while grid.count():
            item = grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        s = self._style
        grid.setHorizontalSpacing(s.gap)
        grid.setVerticalSpacing(max(4, s.gap // 2))
        top = max((count for _, _, count, _ in self._rows), default=0) or 1
        count_width = QFontMetrics(self._count_font()).horizontalAdvance("000 ✔") + 8
        for index, (icon, text, count, mine) in enumerate(self._rows):
            picture = label(icon, "tally_icon", wrap=False)
            picture.setStyleSheet(f"font-size: {s.body_px}px;")
            words = label(text, "reading",
                          align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            number = label(f"{count} ✔" if mine else str(count), "reading", wrap=False,
                           align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            number.setMinimumWidth(count_width)
            grid.addWidget(picture, index, 0)
            grid.addWidget(words, index, 1)
            grid.addWidget(_Bar(count / top, mine, s), index, 2)
            grid.addWidget(number, index, 3)
        grid.setColumnStretch(1, 6)
        grid.setColumnStretch(2, 3)
        description = "; ".join(f"{text}: {count}" for _, text, count, _ in self._rows)
        self.setAccessibleDescription(description)

    def _count_font(self) -> QFont:
        font = QFont(self._style.font_family)
        font.setPixelSize(self._style.reading_px)
        return font
