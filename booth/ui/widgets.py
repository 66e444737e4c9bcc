"""Small custom widgets the screens share: picture tiles, the camera preview with its
framing guide, the microphone level meter, the tally bars and the attract animation."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QAbstractButton, QLabel, QPushButton, QSizePolicy, QWidget

from booth.ui.looks import LookStyle

EMOJI_FAMILY = "Noto Color Emoji"


def label(text: str, role: str = "body", wrap: bool = True,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> QLabel:
    """A label with a style-sheet role."""
    widget = QLabel(text)
    widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setAlignment(align)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def button(text: str, role: str = "secondary", accessible: str | None = None) -> QPushButton:
    """A large push button with an accessible name (its text unless given)."""
    widget = QPushButton(text)
    widget.setProperty("role", role)
    widget.setAccessibleName(accessible or text)
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.setAutoDefault(False)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    return widget


class TileGroup:
    """Tiles shown together use one text size: the largest that fits every tile."""

    def __init__(self) -> None:
        self.tiles: list[PictureTile] = []
        self._cache: tuple[tuple[tuple[int, int], ...], int] | None = None

    def add(self, tile: PictureTile) -> None:
        self.tiles.append(tile)
        tile.tile_group = self
        self._cache = None

    def font_px(self) -> int:
        key = tuple((t.width(), t.height()) for t in self.tiles)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        sizes = [t.fitted_px() for t in self.tiles if t.isVisible()]
        size = min(sizes) if sizes else 12
        self._cache = (key, size)
        return size


class PictureTile(QAbstractButton):
    """A big tile with an emoji picture and a label; checkable for tick lists.
    Wide, short tiles put the picture on the left; tall ones put it on top."""

    def __init__(self, icon: str, text: str, style: LookStyle, checkable: bool = False,
                 parent: QWidget | None = None, scale: float = 1.0) -> None:
        super().__init__(parent)
        self._icon = icon
        self._style = style
        self._scale = scale
        self.tile_group: TileGroup | None = None
        self.setText(text)
        self.setCheckable(checkable)
        self.setAccessibleName(text)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(120, 56))

    @property
    def icon_text(self) -> str:
        return self._icon

    def set_style(self, style: LookStyle) -> None:
        self._style = style
        self.update()

    def sizeHint(self) -> QSize:
        s = self._style
        return QSize(s.tile_icon_px * 4, s.tile_icon_px + s.button_px * 3 + 24)

    def _geometry(self) -> tuple[QRectF, QRectF, QRectF, Qt.AlignmentFlag, float, QRectF]:
        """(outline, icon area, text area, text alignment, icon px, tick box)."""
        s = self._style
        rect = QRectF(self.rect()).adjusted(s.border_px, s.border_px, -s.border_px, -s.border_px)
        pad = max(6.0, min(rect.width(), rect.height()) * 0.08)
        inner = rect.adjusted(pad, pad * 0.6, -pad, -pad * 0.6)
        tick_px = 0.0
        if self.isCheckable():
            tick_px = max(22.0, min(inner.height() * 0.32, s.tile_icon_px * 0.5))
        has_icon = bool(self._icon)
        wide = inner.width() > inner.height() * 2.2
        row_like = inner.width() > inner.height() * 5  # a full-width row in a one-column list
        if row_like and self.isCheckable():
            tick_px = max(22.0, min(inner.height() * 0.75, s.tile_icon_px * 0.6))
        if wide:
            icon_px = min(inner.height() * 0.7, s.tile_icon_px * 1.2 * self._scale) \
                if has_icon else 0.0
            icon_rect = QRectF(inner.left(), inner.top(), icon_px * 1.2, inner.height())
            left = icon_rect.right() + (pad if has_icon else 0)
            right = inner.right() - (tick_px if row_like else tick_px * 0.6)
            text_rect = QRectF(left, inner.top(), right - left, inner.height())
            flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        else:
            icon_px = min(inner.height() * 0.5, inner.width() * 0.5,
                          s.tile_icon_px * 2.2 * self._scale) if has_icon else 0.0
            text_h = min(inner.height() - icon_px * 1.2, s.button_px * self._scale * 4.5)
            top = inner.top() + (inner.height() - icon_px * 1.2 - text_h) / 2
            icon_rect = QRectF(inner.left(), top, inner.width(), icon_px * 1.2)
            text_rect = QRectF(inner.left() + tick_px * 0.5, icon_rect.bottom(),
                               inner.width() - tick_px, text_h)
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        if row_like:  # the tick box sits at the right, in the middle of the row
            tick = QRectF(rect.right() - tick_px - pad, rect.center().y() - tick_px / 2,
                          tick_px, tick_px)
        else:
            tick = QRectF(rect.right() - tick_px - pad * 0.6, rect.top() + pad * 0.6,
                          tick_px, tick_px)
        return rect, icon_rect, text_rect, flags, icon_px, tick

    def fitted_px(self) -> int:
        """The largest text size that fits this tile on its own."""
        text_rect = self._geometry()[2]
        largest = round(self._style.button_px * self._scale)
        return fitted_font(self._style.font_family, largest, self.text(), text_rect,
                           bold=True).pixelSize()

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self._style
        rect, icon_rect, text_rect, flags, icon_px, box = self._geometry()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        checked = self.isChecked()
        fill = QColor(s.accent if checked else s.surface)
        edge = QColor(s.accent if checked else s.border)
        width = s.border_px
        if self.hasFocus():
            edge = QColor("#FF6F00")
            width = max(4, s.border_px + 2)
        if self.isDown():
            fill = fill.darker(110)
        painter.setPen(QPen(edge, width))
        painter.setBrush(fill)
        radius = min(s.radius_px, rect.height() / 4)
        painter.drawRoundedRect(rect, radius, radius)
        if self._icon:
            icon_font = QFont(EMOJI_FAMILY)
            icon_font.setPixelSize(max(12, int(icon_px)))
            painter.setFont(icon_font)
            painter.drawText(icon_rect, Qt.AlignmentFlag.AlignCenter, self._icon)
        painter.setPen(QColor(s.accent_text if checked else s.text))
        font = QFont(s.font_family)
        font.setBold(True)
        group = self.tile_group
        font.setPixelSize(group.font_px() if group is not None else self.fitted_px())
        painter.setFont(font)
        painter.drawText(text_rect, int(flags | Qt.TextFlag.TextWordWrap), self.text())
        if self.isCheckable():
            # A tick box in the corner, so "chosen" never depends on colour alone.
            painter.setPen(QPen(QColor(s.accent_text if checked else s.text), 3))
            painter.setBrush(QColor(s.accent if checked else s.surface))
            painter.drawRoundedRect(box, 6, 6)
            if checked:
                path = QPainterPath()
                path.moveTo(box.left() + box.width() * 0.2, box.top() + box.height() * 0.55)
                path.lineTo(box.left() + box.width() * 0.42, box.top() + box.height() * 0.78)
                path.lineTo(box.left() + box.width() * 0.82, box.top() + box.height() * 0.25)
                painter.setPen(QPen(QColor(s.accent_text), max(3, s.border_px + 1)))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
        painter.end()


def fitted_font(family: str, largest_px: int, text: str, rect: QRectF,
                bold: bool = False) -> QFont:
    """The largest font (up to ``largest_px``) in which ``text`` wraps into ``rect``
    without breaking a word."""
    font = QFont(family)
    font.setBold(bold)
    size = max(10, largest_px)
    while size > 10:
        font.setPixelSize(size)
        metrics = QFontMetricsF(font)
        longest_word = max((metrics.horizontalAdvance(w) for w in text.split()), default=0.0)
        bound = metrics.boundingRect(rect, int(Qt.TextFlag.TextWordWrap), text)
        if longest_word <= rect.width() and bound.height() <= rect.height():
            break
        size -= 1
    font.setPixelSize(size)
    return font


class PreviewView(QWidget):
    """The live camera picture (already mirrored by the capture layer) with an oval
    framing guide. ``clear()`` drops the last frame so nothing of a person remains."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frame: QImage | None = None
        self._guide = True
        self._message = ""
        self.setAccessibleName("Camera picture")
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def has_frame(self) -> bool:
        return self._frame is not None

    def set_frame(self, image: QImage) -> None:
        self._frame = image
        self._message = ""
        self.update()

    def message(self) -> str:
        return self._message

    def set_guide(self, shown: bool) -> None:
        self._guide = shown
        self.update()

    def set_message(self, text: str) -> None:
        self._message = text
        self.update()

    def clear(self) -> None:
        self._frame = None
        self._message = ""
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        area = QRectF(self.rect())
        path = QPainterPath()
        path.addRoundedRect(area, 18, 18)
        painter.setClipPath(path)
        painter.fillRect(area, QColor("#20262E"))
        target = area
        if self._frame is not None and not self._frame.isNull():
            size = self._frame.size().toSizeF().scaled(
                area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(area.center().x() - size.width() / 2,
                            area.center().y() - size.height() / 2, size.width(), size.height())
            painter.drawImage(target, self._frame)
        if self._guide:
            oval_h = target.height() * 0.78
            oval_w = oval_h * 0.72
            oval = QRectF(target.center().x() - oval_w / 2,
                          target.center().y() - oval_h / 2 - target.height() * 0.02,
                          oval_w, oval_h)
            pen = QPen(QColor(255, 255, 255, 220), 5, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(oval)
        if self._message:
            font = QFont("DejaVu Sans")
            font.setPixelSize(max(16, int(area.height() / 14)))
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(QColor("#FFFFFF"))
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                             self._message)
        painter.end()


class LevelMeter(QWidget):
    """The microphone level as a row of bars; green while the person is heard."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._level = 0.0
        self.setAccessibleName("Microphone level")
        self.setMinimumSize(200, 28)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def level(self) -> float:
        return self._level

    def set_level(self, value: float) -> None:
        self._level = max(0.0, min(1.0, float(value)))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(360, 36)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bars = 20
        gap = 4.0
        width = (self.width() - gap * (bars - 1)) / bars
        lit = round(self._level * bars)
        for index in range(bars):
            colour = QColor("#2E9D4A" if index < 14 else "#E0A100" if index < 18 else "#C8102E")
            if index >= lit:
                colour = QColor("#C9CED4")
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(index * (width + gap), 0, width, self.height()), 4, 4)
        painter.end()


class TallyBars(QWidget):
    """Horizontal bars: what others at this event chose. Rows are (icon, label, count,
    chosen by this person)."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = style
        self._rows: list[tuple[str, str, int, bool]] = []
        self.setAccessibleName("What others chose")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def rows(self) -> list[tuple[str, str, int, bool]]:
        return list(self._rows)

    def set_style(self, style: LookStyle) -> None:
        self._style = style
        self.update()

    def set_rows(self, rows: Sequence[tuple[str, str, int, bool]]) -> None:
        self._rows = list(rows)
        description = "; ".join(f"{text}: {count}" for _, text, count, _ in self._rows)
        self.setAccessibleDescription(description)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._rows:
            return
        s = self._style
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top_count = max(1, max(count for _, _, count, _ in self._rows))
        row_h = min(self.height() / len(self._rows), s.body_px * 3.0)
        label_w = self.width() * 0.52
        text_px = max(12, int(min(s.body_px * 1.3, row_h * 0.45)))
        font = QFont(s.font_family)
        font.setPixelSize(text_px)
        metrics = QFontMetricsF(font)
        emoji = QFont(EMOJI_FAMILY)
        emoji.setPixelSize(text_px)
        count_w = metrics.horizontalAdvance("000 ✔") + 16
        for index, (icon, text, count, mine) in enumerate(self._rows):
            y = index * row_h
            painter.setFont(emoji)
            painter.setPen(QColor(s.text))
            painter.drawText(QRectF(0, y, row_h, row_h), Qt.AlignmentFlag.AlignCenter, icon)
            painter.setFont(font)
            text_w = label_w - row_h - 16
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, text_w)
            painter.drawText(QRectF(row_h + 6, y, text_w, row_h),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown)
            bar_w = (self.width() - label_w - count_w) * count / top_count
            bar = QRectF(label_w, y + row_h * 0.18, max(bar_w, 6), row_h * 0.64)
            colour = QColor(s.accent)
            if not mine:
                colour.setAlpha(110)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(bar, 6, 6)
            painter.setPen(QColor(s.text))
            painter.drawText(QRectF(bar.right() + 10, y, count_w, row_h),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             f"{count} ✔" if mine else str(count))
        painter.end()


class AttractLoop(QWidget):
    """A gentle animation of drifting coloured circles and emoji, inviting a touch.
    It draws only shapes: never a picture of anybody."""

    SYMBOLS = ("🎤", "🌳", "🏠", "🚌", "⚽", "🎨", "💬", "❤️")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._phase = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._advance)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_phase(self, phase: float) -> None:
        self._phase = phase
        self.update()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def _advance(self) -> None:
        self._phase = (self._phase + 0.01) % 1.0
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        colours = ("#FFD23F", "#3BCEAC", "#EE4266", "#0EAD69", "#540D6E", "#1F7A8C")
        for index, colour in enumerate(colours):
            angle = 2 * math.pi * (self._phase + index / len(colours))
            radius = min(w, h) * (0.10 + 0.03 * (index % 3))
            centre = QPointF(w * (0.5 + 0.38 * math.cos(angle + index)),
                             h * (0.5 + 0.36 * math.sin(angle * 1 + index * 2)))
            tint = QColor(colour)
            tint.setAlpha(60)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(tint)
            painter.drawEllipse(centre, radius, radius)
        font = QFont(EMOJI_FAMILY)
        font.setPixelSize(max(16, int(h / 12)))
        painter.setFont(font)
        for index, symbol in enumerate(self.SYMBOLS):
            angle = 2 * math.pi * (self._phase + index / len(self.SYMBOLS))
            x = w * (0.5 + 0.42 * math.cos(angle))
            y = h * (0.5 + 0.40 * math.sin(angle))
            painter.drawText(QRectF(x - h / 12, y - h / 12, h / 6, h / 6),
                             Qt.AlignmentFlag.AlignCenter, symbol)
        painter.end()
