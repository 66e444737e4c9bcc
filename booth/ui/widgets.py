"""Small custom widgets the screens share: buttons whose words wrap, picture tiles, the
camera preview with its framing guide, the microphone level meter and the attract
animation (the tally's bars are in ``booth.ui.tally``)."""

from __future__ import annotations

import math

from PySide6.QtCore import (
    QEasingCurve,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QVariantAnimation,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QIcon,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QStylePainter,
    QWidget,
)

from booth.ui.looks import LookStyle
from booth.ui.text import TextLabel, draw_text, is_tall, text_size

EMOJI_FAMILY = "Noto Color Emoji"
#: The window property that says the keyboard is in use: only then is focus drawn, so a
#: control that has focus when a screen opens never looks chosen to someone who touches.
KEYBOARD_PROPERTY = "keyboard"
#: The window property that holds the look's focus ring colour (``LookStyle.focus``).
FOCUS_COLOUR_PROPERTY = "focusColour"


def label(text: str, role: str = "body", wrap: bool = True,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> QLabel:
    """A label with a style-sheet role; its words wrap unless ``wrap`` is False. Left and
    right alignment follow the language (leading and trailing), and tall scripts get the
    line spacing their letters need (``booth.ui.text``)."""
    widget = TextLabel(text)
    widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setAlignment(align)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def button(text: str, role: str = "secondary", accessible: str | None = None) -> WrapButton:
    """A large push button with an accessible name (its text unless given)."""
    widget = WrapButton(text)
    widget.setProperty("role", role)
    widget.setAccessibleName(accessible or text)
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.setAutoDefault(False)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    return widget


def focus_shown(widget: QWidget) -> bool:
    """``widget`` has the focus and the keyboard is being used."""
    return widget.hasFocus() and bool(widget.window().property(KEYBOARD_PROPERTY))


def draw_focus_ring(painter: QPainter, rect: QRectF, radius: float, colour: str,
                    width: float) -> None:
    """Two rings around ``rect``: ``colour`` outside (against the background) and white
    inside (against the control), so the ring shows on every background and every fill."""
    painter.save()
    painter.setBrush(Qt.BrushStyle.NoBrush)
    outer = rect.adjusted(width / 2, width / 2, -width / 2, -width / 2)
    painter.setPen(QPen(QColor(colour), width))
    painter.drawRoundedRect(outer, radius, radius)
    inner = rect.adjusted(width + 1, width + 1, -width - 1, -width - 1)
    painter.setPen(QPen(QColor("#FFFFFF"), 2))
    painter.drawRoundedRect(inner, max(0.0, radius - width), max(0.0, radius - width))
    painter.restore()


class WrapButton(QPushButton):
    """A push button whose words wrap onto more lines when it is narrow, instead of being
    cut off; styled by the style sheet like any push button (roles, sizes, padding)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.one_line = False  # asks for room for its words on one line (Back, Stop)
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def _option(self) -> QStyleOptionButton:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.text = ""
        option.icon = QIcon()
        return option

    def _chrome(self) -> QSize:
        """Border and padding around the words, from the style sheet."""
        option = self._option()
        option.rect = QRect(0, 0, 1000, 1000)
        inside = self.style().subElementRect(
            QStyle.SubElement.SE_PushButtonContents, option, self)
        return QSize(1000 - inside.width(), 1000 - inside.height())

    def text_rect(self) -> QRect:
        """Where the words go (inside the border and padding)."""
        option = self._option()
        option.rect = self.rect()
        return self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self)

    def _words_size(self, width: int | None) -> QSize:
        text = self.text()
        if is_tall(self.font()):
            wide, high = text_size(text, self.font(), None if width is None else float(width),
                                   width is not None, self.layoutDirection())
            return QSize(int(wide + 2.999), int(high + 0.999))
        metrics = QFontMetrics(self.font())
        if width is None:
            lines = text.split("\n")
            return QSize(max(metrics.horizontalAdvance(line) for line in lines) + 2,
                         metrics.height() * len(lines))
        bound = metrics.boundingRect(QRect(0, 0, max(1, width), 100_000),
                                     int(Qt.TextFlag.TextWordWrap), text)
        return bound.size()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        self.ensurePolished()
        chrome = self._chrome()
        words = self._words_size(max(1, width - chrome.width()))
        return max(self.minimumHeight(), words.height() + chrome.height())

    def sizeHint(self) -> QSize:
        # At most about a dozen letters wide: long words wrap rather than take the room a
        # layout would give its neighbours (the video beside a column of buttons).
        self.ensurePolished()
        chrome = self._chrome()
        one_line = self._words_size(None).width()
        if self.one_line:
            return QSize(one_line + chrome.width(), self.heightForWidth(one_line + chrome.width()))
        width = min(one_line, max(self.minimumSizeHint().width() - chrome.width(),
                                  QFontMetrics(self.font()).averageCharWidth() * 12))
        return QSize(width + chrome.width(), self.heightForWidth(width + chrome.width()))

    def minimumSizeHint(self) -> QSize:
        self.ensurePolished()
        metrics = QFontMetrics(self.font())
        longest = max((metrics.horizontalAdvance(word) for word in self.text().split()),
                      default=0)
        line = metrics.height()
        if is_tall(self.font()):
            longest = max((int(text_size(word, self.font(), None, False)[0] + 0.999)
                           for word in self.text().split()), default=0)
            line = self._words_size(None).height() if self.text() else line
        chrome = self._chrome()
        return QSize(longest + chrome.width() + 2,
                     max(self.minimumHeight(), line + chrome.height()))

    def paintEvent(self, event: QPaintEvent) -> None:
        option = self._option()
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_PushButton, option)
        group = QPalette.ColorGroup.Active if self.isEnabled() else QPalette.ColorGroup.Disabled
        painter.setPen(self.palette().color(group, QPalette.ColorRole.ButtonText))
        draw_text(painter, QRectF(self.text_rect()),
                  int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.text(),
                  self.font(), self.layoutDirection())
        if focus_shown(self):
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            colour = str(self.window().property(FOCUS_COLOUR_PROPERTY) or "#B45000")
            draw_focus_ring(painter, QRectF(self.rect()), 10.0, colour, 4.0)
        painter.end()


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
    """A big tile with an emoji picture and words that wrap; checkable for answers. Wide,
    short tiles put the picture on the left; tall ones put it on top.

    A chosen answer looks chosen, not like a button to press: a thick outline and a
    ticked box, on the same white as the others. Around the outline is a margin where
    the keyboard's focus ring and a gentle "tap here" pulse are drawn."""

    def __init__(self, icon: str, text: str, style: LookStyle, checkable: bool = False,
                 parent: QWidget | None = None, scale: float = 1.0) -> None:
        super().__init__(parent)
        self._icon = icon
        self._style = style
        self._scale = scale
        self._pulse = 0.0
        self._pulsing: QVariantAnimation | None = None
        self.tile_group: TileGroup | None = None
        self.setText(text)
        self.setCheckable(checkable)
        self.setAccessibleName(text)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(120, style.min_target + round(2 * self.halo())))

    @property
    def icon_text(self) -> str:
        return self._icon

    def set_style(self, style: LookStyle) -> None:
        self._style = style
        self.setMinimumHeight(style.min_target + round(2 * self.halo()))
        self.update()

    def sizeHint(self) -> QSize:
        s = self._style
        if not self._icon:
            return QSize(s.button_px * 8, max(s.min_target, s.button_px * 2 + 24))
        return QSize(s.tile_icon_px * 4, s.tile_icon_px + s.button_px * 3 + 24)

    # ------------------------------------------------------------ the pulse

    def set_pulsing(self, on: bool) -> None:
        """A gentle pulse around the tile that says "tap here" (or none)."""
        if on and self._pulsing is None:
            animation = QVariantAnimation(self)
            animation.setStartValue(0.0)
            animation.setEndValue(1.0)
            animation.setDuration(1600)
            animation.setLoopCount(-1)
            animation.setEasingCurve(QEasingCurve.Type.InOutSine)
            animation.valueChanged.connect(self._pulse_to)
            animation.start()
            self._pulsing = animation
        elif not on and self._pulsing is not None:
            self._pulsing.stop()
            self._pulsing.deleteLater()
            self._pulsing = None
            self._pulse = 0.0
            self.update()

    def pulsing(self) -> bool:
        return self._pulsing is not None

    def _pulse_to(self, value: object) -> None:
        self._pulse = math.sin(math.pi * float(value))  # type: ignore[arg-type]
        self.update()

    # ------------------------------------------------------------ drawing

    def style_for_layout(self) -> LookStyle:
        return self._style

    def halo(self) -> float:
        """The margin around the outline for the focus ring and the pulse."""
        return float(max(6, self._style.border_px + 4))

    def outline(self) -> QRectF:
        halo = self.halo()
        return QRectF(self.rect()).adjusted(halo, halo, -halo, -halo)

    def _outline_width(self) -> float:
        s = self._style
        chosen = self.isCheckable() and self.isChecked()
        return float(max(2, s.border_px) + 4 if chosen else max(2, s.border_px))

    def text_area(self) -> QRectF:
        return self._geometry()[2]

    def _geometry(self) -> tuple[QRectF, QRectF, QRectF, Qt.AlignmentFlag, float, QRectF]:
        """(outline, icon area, text area, text alignment, icon px, tick box)."""
        s = self._style
        rect = self.outline()
        edge = float(max(2, s.border_px) + 4)  # room for the chosen outline
        inner0 = rect.adjusted(edge, edge, -edge, -edge)
        pad = max(4.0, min(inner0.width(), inner0.height()) * 0.06)
        inner = inner0.adjusted(pad, pad * 0.5, -pad, -pad * 0.5)
        has_icon = bool(self._icon)
        # Words in a tall script (Nastaliq) need twice the height a line of Latin does: the
        # picture gives them some of its room.
        picture = 0.3 if is_tall(QFont(s.font_family)) else 0.45
        wide = inner.width() > inner.height() * 2.0
        tick_px = 0.0
        if self.isCheckable():
            tick_px = max(22.0, min(inner.height() * (0.45 if wide else 0.3),
                                    s.tile_icon_px * 0.5))
        if wide:
            icon_px = min(inner.height() * 0.7, inner.width() * (0.1 if picture < 0.45 else 0.14),
                          s.tile_icon_px * 1.2 * self._scale) if has_icon else 0.0
            icon_rect = QRectF(inner.left(), inner.top(), icon_px * 1.15, inner.height())
            left = icon_rect.right() + (pad if has_icon else 0)
            right = inner.right() - (tick_px + pad * 2 if tick_px else 0)
            text_rect = QRectF(left, inner.top(), right - left, inner.height())
            flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
            tick = QRectF(inner.right() - tick_px, inner.center().y() - tick_px / 2,
                          tick_px, tick_px)
        else:
            icon_px = min(inner.height() * picture, inner.width() * 0.45,
                          s.tile_icon_px * 2.2 * self._scale) if has_icon else 0.0
            text_h = inner.height() - icon_px * 1.15
            icon_rect = QRectF(inner.left(), inner.top(), inner.width(), icon_px * 1.15)
            text_rect = QRectF(inner.left(), icon_rect.bottom(), inner.width(), text_h)
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
            tick = QRectF(inner.right() - tick_px, inner.top(), tick_px, tick_px)
            if tick_px and has_icon:  # the picture keeps clear of the tick box
                icon_rect.setRight(inner.right() - tick_px)
                icon_rect.setLeft(inner.left() + tick_px)
        if tick_px and not has_icon:
            # An answer in words only: its tick sits on the outline's corner, and the
            # words have the whole width.
            tick_px = min(28.0, max(20.0, rect.height() * 0.3))
            halo = self.halo()
            tick = QRectF(rect.right() + halo - 2 - tick_px, rect.top() - halo + 2,
                          tick_px, tick_px)
            text_rect = QRectF(inner.left(), inner.top(), inner.width(), inner.height())
            flags = Qt.AlignmentFlag.AlignCenter
        if self.layoutDirection() == Qt.LayoutDirection.RightToLeft:
            # Read from the right: the picture and the words change sides, the tick too.
            # (Left alignment is leading, so the words already start on the right.)
            width = float(self.width())
            icon_rect, text_rect, tick = (_mirrored(r, width) for r in (icon_rect, text_rect,
                                                                        tick))
        return rect, icon_rect, text_rect, flags, icon_px, tick

    def _bold(self) -> bool:
        # Nastaliq's bold is heavier and wider without reading better: its words stay
        # regular, so more of them fit a line.
        return not is_tall(QFont(self._style.font_family))

    def text_font(self) -> QFont:
        """The font the tile's words are drawn in (its group's size)."""
        font = QFont(self._style.font_family)
        font.setBold(self._bold())
        font.setPixelSize(self.text_px())
        return font

    def fitted_px(self) -> int:
        """The largest text size that fits this tile on its own."""
        text_rect = self._geometry()[2]
        largest = round(self._style.button_px * self._scale)
        return fitted_font(self._style.font_family, largest, self.text(), text_rect,
                           bold=self._bold(), direction=self.layoutDirection()).pixelSize()

    def text_px(self) -> int:
        """The text size the tile is drawn in (its group's)."""
        group = self.tile_group
        return group.font_px() if group is not None else self.fitted_px()

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self._style
        rect, icon_rect, text_rect, flags, icon_px, box = self._geometry()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        chosen = self.isCheckable() and self.isChecked()
        radius = min(float(s.radius_px), rect.height() / 4)
        halo = self.halo()
        if self._pulse > 0:
            glow = QColor(s.chosen)
            glow.setAlpha(int(60 + 170 * self._pulse))
            painter.setPen(QPen(glow, halo * (0.5 + 0.5 * self._pulse)))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-halo / 2, -halo / 2, halo / 2, halo / 2),
                                    radius + halo / 2, radius + halo / 2)
        if focus_shown(self):
            draw_focus_ring(painter, QRectF(self.rect()), radius + halo, s.focus, halo - 2)
        fill = QColor(s.surface)
        if self.isDown():
            fill = fill.darker(108)
        width = self._outline_width()
        painter.setPen(QPen(QColor(s.chosen if chosen else s.border), width))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect.adjusted(width / 2, width / 2, -width / 2, -width / 2),
                                radius, radius)
        if self._icon:
            icon_font = QFont(EMOJI_FAMILY)
            icon_font.setPixelSize(max(12, int(icon_px)))
            painter.setFont(icon_font)
            painter.drawText(icon_rect, Qt.AlignmentFlag.AlignCenter, self._icon)
        painter.setPen(QColor(s.text))
        draw_text(painter, text_rect, int(flags | Qt.TextFlag.TextWordWrap), self.text(),
                  self.text_font(), self.layoutDirection())
        if self.isCheckable():
            # A tick box, so "chosen" never depends on colour alone.
            painter.setPen(QPen(QColor(s.chosen if chosen else s.text), 3))
            painter.setBrush(QColor(s.chosen if chosen else s.surface))
            painter.drawRoundedRect(box, 6, 6)
            if chosen:
                path = QPainterPath()
                path.moveTo(box.left() + box.width() * 0.2, box.top() + box.height() * 0.55)
                path.lineTo(box.left() + box.width() * 0.42, box.top() + box.height() * 0.78)
                path.lineTo(box.left() + box.width() * 0.82, box.top() + box.height() * 0.25)
                painter.setPen(QPen(QColor("#FFFFFF"), max(3, s.border_px + 1)))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
        painter.end()


def _mirrored(rect: QRectF, width: float) -> QRectF:
    return QRectF(width - rect.right(), rect.top(), rect.width(), rect.height())


def fitted_font(family: str, largest_px: int, text: str, rect: QRectF,
                bold: bool = False,
                direction: Qt.LayoutDirection = Qt.LayoutDirection.LeftToRight) -> QFont:
    """The largest font (up to ``largest_px``) in which ``text`` wraps into ``rect``
    without breaking a word."""
    font = QFont(family)
    font.setBold(bold)
    size = max(10, largest_px)
    while size > 10:
        font.setPixelSize(size)
        if is_tall(font):
            longest_word = max((text_size(w, font, None, False)[0] for w in text.split()),
                               default=0.0)
            height = text_size(text, font, rect.width(), True, direction)[1]
        else:
            metrics = QFontMetricsF(font)
            longest_word = max((metrics.horizontalAdvance(w) for w in text.split()),
                               default=0.0)
            height = metrics.boundingRect(rect, int(Qt.TextFlag.TextWordWrap), text).height()
        if longest_word <= rect.width() and height <= rect.height():
            break
        size -= 1
    font.setPixelSize(size)
    return font


#: Camera pictures and takes are 16:9; the preview and the player keep that shape.
VIDEO_ASPECT = 16 / 9


class PreviewView(QWidget):
    """The camera picture (or a take playing back) at a fixed 16:9, as large as its space
    allows and filling it, with an oval framing guide. Frames of the live preview come
    mirrored from the capture layer; a take's frames are mirrored here (``mirrored``), so
    the person sees themselves the same way while recording and watching it back.
    ``clear()`` drops the last frame so nothing of a person remains."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frame: QImage | None = None
        self._guide = True
        self._mirrored = False
        self._message = ""
        self._voice = ""
        self.setMinimumSize(320, 180)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return round(width / VIDEO_ASPECT)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def video_rect(self) -> QRectF:
        """Where the picture is drawn: the largest 16:9 box in the widget, centred."""
        area = QRectF(self.rect())
        width = min(area.width(), area.height() * VIDEO_ASPECT)
        height = width / VIDEO_ASPECT
        return QRectF(area.center().x() - width / 2, area.center().y() - height / 2,
                      width, height)

    def has_frame(self) -> bool:
        return self._frame is not None

    def set_mirrored(self, mirrored: bool) -> None:
        self._mirrored = mirrored

    def set_frame(self, image: QImage) -> None:
        self._frame = image.flipped(Qt.Orientation.Horizontal) if self._mirrored else image
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

    def voice(self) -> str:
        return self._voice

    def set_voice(self, text: str) -> None:
        """A voice answer: a microphone and ``text`` instead of the picture ("" for the
        picture again)."""
        self._voice = text
        if text:
            self._frame = None
        self.update()

    def clear(self) -> None:
        self._frame = None
        self._message = ""
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = self.video_rect()
        path = QPainterPath()
        path.addRoundedRect(target, 18, 18)
        painter.setClipPath(path)
        painter.fillRect(target, QColor("#20262E"))
        if self._frame is not None and not self._frame.isNull():
            # Fill the box; a picture of another shape loses a little at its edges.
            size = self._frame.size().toSizeF().scaled(
                target.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            painter.drawImage(QRectF(target.center().x() - size.width() / 2,
                                     target.center().y() - size.height() / 2,
                                     size.width(), size.height()), self._frame)
        if self._voice:
            self._paint_voice(painter, target)
        elif self._guide:
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
            # In the language's own font (the window's), over the picture.
            font = QFont(self.font())
            font.setPixelSize(max(16, int(target.height() / 12)))
            font.setBold(True)
            painter.setPen(QColor("#FFFFFF"))
            draw_text(painter, target.adjusted(16, 16, -16, -16),
                      int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                      self._message, font, self.layoutDirection())
        painter.end()

    def _paint_voice(self, painter: QPainter, target: QRectF) -> None:
        icon = QFont(EMOJI_FAMILY)
        icon.setPixelSize(max(24, int(target.height() * 0.3)))
        painter.setFont(icon)
        top = target.adjusted(0, target.height() * 0.08, 0, -target.height() * 0.5)
        painter.drawText(top, Qt.AlignmentFlag.AlignCenter, "🎤")
        font = QFont(self.font())
        font.setPixelSize(max(16, int(target.height() / 14)))
        font.setBold(True)
        painter.setPen(QColor("#FFFFFF"))
        draw_text(painter, target.adjusted(24, target.height() * 0.52, -24, -16),
                  int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                      | Qt.TextFlag.TextWordWrap), self._voice, font, self.layoutDirection())


class LevelMeter(QWidget):
    """The microphone level as a row of bars; green while the person is heard."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._level = 0.0
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
        # Louder goes the way the person reads: to the left in Urdu and Arabic.
        mirrored = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        for index in range(bars):
            colour = QColor("#2E9D4A" if index < 14 else "#E0A100" if index < 18 else "#C8102E")
            if index >= lit:
                colour = QColor("#C9CED4")
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            slot = bars - 1 - index if mirrored else index
            painter.drawRoundedRect(QRectF(slot * (width + gap), 0, width, self.height()), 4, 4)
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
