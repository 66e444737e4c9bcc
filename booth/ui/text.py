"""Words in a script whose letters reach past its font's own line height, laid out so that no
letter of one line ever touches a letter of the next.

Urdu is set in Nastaliq, which hangs: a word starts high above the line and steps down to it,
and some letters dip far below. Noto Nastaliq Urdu says its lines are 2.5 em apart, yet a
word such as برننگٹن rises 3.1 em above its baseline and مستقبل falls 1.5 em below it, so Qt,
which spaces lines by the font's metrics, lets the letters of two lines run into each other
(and cuts a tall first line off at the top of its label). Here each line is placed after the
one above it by what its letters really cover (their ink): at least the font's own spacing,
more where a line's letters need it, with a small gap between them. Words in other fonts
keep Qt's own layout, unchanged.

``TextLabel`` (what ``booth.ui.widgets.label`` makes) and the buttons and tiles that draw
their own words use ``text_block`` to measure and ``draw_text`` to paint, so what is
measured for the layout is what is drawn."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QTextLayout, QTextLine, QTextOption
from PySide6.QtWidgets import QLabel, QStyle

#: Fonts whose letters reach past their own line height (see the module's docstring).
TALL_FAMILIES = frozenset({"Noto Nastaliq Urdu"})
#: Space between the lowest letter of one line and the highest of the next, in em.
INK_GAP_EM = 0.05
#: The least distance between two baselines of a tall script, in em. Nastaliq's own line
#: height (2.5 em) is more than most lines need; where a line's letters need more, they get it.
TALL_LINE_EM = 1.8
#: The least room above the first baseline and below the last, in em (a line of digits).
TALL_EDGE_EM = (1.0, 0.35)
#: Drawing the same words again (every repaint, every size asked by a layout) reuses this many.
_CACHE_SIZE = 512
_HORIZONTAL = (Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignRight
               | Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignJustify
               | Qt.AlignmentFlag.AlignAbsolute)


def is_tall(font: QFont) -> bool:
    """True when words in ``font`` need lines spaced by their letters (Nastaliq)."""
    return font.family() in TALL_FAMILIES


@dataclass(frozen=True)
class TextBlock:
    """Words laid out in lines: the layout to draw, its widest line and its height."""

    layout: QTextLayout
    width: float
    height: float


_blocks: OrderedDict[tuple[str, str, float, int, int, bool], TextBlock] = OrderedDict()


def text_block(text: str, font: QFont, width: float | None = None,
               alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
               direction: Qt.LayoutDirection = Qt.LayoutDirection.LeftToRight,
               wrap: bool = True) -> TextBlock:
    """``text`` in ``font``, wrapped at word boundaries into ``width`` (one line per
    paragraph when ``width`` is None or ``wrap`` is False), each line below the last by
    what its letters cover."""
    key = (text, font.toString(), -1.0 if width is None else round(width, 1),
           int(alignment & _HORIZONTAL), int(direction.value), wrap)
    block = _blocks.get(key)
    if block is not None:
        _blocks.move_to_end(key)
        return block
    block = _lay_out(text, font, width, alignment, direction, wrap)
    _blocks[key] = block
    if len(_blocks) > _CACHE_SIZE:
        _blocks.popitem(last=False)
    return block


def _lay_out(text: str, font: QFont, width: float | None, alignment: Qt.AlignmentFlag,
             direction: Qt.LayoutDirection, wrap: bool) -> TextBlock:
    # QTextLayout breaks lines at U+2028, as QPainter.drawText does at a newline.
    layout = QTextLayout(text.replace("\n", "\u2028"), font)
    # Lines are broken with one alignment and placed here after (see below): Qt can break a
    # line that only just fits differently when it is centred, and what is measured (left)
    # must be what is drawn.
    option = QTextOption(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute)
    wrapping = wrap and width is not None
    option.setWrapMode(QTextOption.WrapMode.WordWrap if wrapping
                       else QTextOption.WrapMode.NoWrap)
    option.setTextDirection(direction)
    layout.setTextOption(option)
    layout.setCacheEnabled(True)
    line_width = width if wrapping and width is not None else 1_000_000.0
    layout.beginLayout()
    lines = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(line_width)
        line.setPosition(QPointF(0, 0))
        lines.append(line)
    layout.endLayout()
    em = float(font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF())
    gap = INK_GAP_EM * em
    tall = is_tall(font)
    widest = 0.0
    baseline = previous_descent = previous_ink_below = 0.0
    for index, line in enumerate(lines):
        above, below = _ink(line)
        ascent, descent = line.ascent(), line.descent()
        if tall:
            # Spaced by the letters alone: the font's own 2.5 em is more than most lines
            # need, and less than some need.
            ascent, descent = TALL_EDGE_EM[0] * em, TALL_EDGE_EM[1] * em
        if index == 0:
            baseline = max(ascent, above)
        elif tall:
            baseline = max(baseline + TALL_LINE_EM * em,
                           baseline + previous_ink_below + gap + above)
        else:
            baseline = max(baseline + previous_descent + line.leading() + ascent,
                           baseline + previous_ink_below + gap + above)
        line.setPosition(QPointF(0, baseline - line.ascent()))
        previous_descent, previous_ink_below = descent, below
        widest = max(widest, line.naturalTextWidth())
    height = baseline + max(previous_descent, previous_ink_below) if lines else 0.0
    # Each line where the alignment puts it, inside the width (or, unwrapped, the widest).
    box = width if wrapping and width is not None else widest
    horizontal = alignment & _HORIZONTAL
    for line in lines:
        spare = box - line.naturalTextWidth()
        start = line.naturalTextRect().left()  # where Qt put it: left-aligned
        if horizontal & Qt.AlignmentFlag.AlignHCenter:
            shift = spare / 2
        elif horizontal & Qt.AlignmentFlag.AlignRight:
            shift = spare
        else:
            shift = 0.0
        line.setPosition(QPointF(shift - start, line.position().y()))
    return TextBlock(layout, widest, height)


def _ink(line: QTextLine) -> tuple[float, float]:
    """How far the line's letters reach above and below its baseline."""
    baseline = line.y() + line.ascent()
    top, bottom = baseline, baseline
    for run in line.glyphRuns():
        raw = run.rawFont()
        for glyph, position in zip(run.glyphIndexes(), run.positions(), strict=False):
            ink = raw.boundingRect(glyph).translated(position)
            top = min(top, ink.top())
            bottom = max(bottom, ink.bottom())
    return baseline - top, bottom - baseline


def draw_text(painter: QPainter, rect: QRectF, flags: int, text: str, font: QFont,
              direction: Qt.LayoutDirection) -> None:
    """Draw ``text`` into ``rect`` with Qt's alignment ``flags`` (left and right mean leading
    and trailing, as for ``QPainter.drawText``; wrapping with ``Qt.TextFlag.TextWordWrap``),
    lines spaced by their letters when ``font`` is tall; otherwise exactly as
    ``QPainter.drawText`` would, in ``direction``."""
    if not is_tall(font):
        painter.save()
        painter.setFont(font)
        painter.setLayoutDirection(direction)
        painter.drawText(rect, flags, text)
        painter.restore()
        return
    alignment = Qt.AlignmentFlag(flags)
    # As QPainter.drawText: left and right mean leading and trailing unless absolute.
    visual = QStyle.visualAlignment(direction, alignment)
    wrap = bool(flags & Qt.TextFlag.TextWordWrap)
    block = text_block(text, font, rect.width(), visual, direction, wrap)
    top = rect.top()
    if alignment & Qt.AlignmentFlag.AlignVCenter:
        top += (rect.height() - block.height) / 2
    elif alignment & Qt.AlignmentFlag.AlignBottom:
        top += rect.height() - block.height
    left = rect.left()
    if not wrap:
        horizontal = visual & _HORIZONTAL
        if horizontal & Qt.AlignmentFlag.AlignHCenter:
            left += (rect.width() - block.width) / 2
        elif horizontal & Qt.AlignmentFlag.AlignRight:
            left += rect.width() - block.width
    block.layout.draw(painter, QPointF(left, top))


def text_size(text: str, font: QFont, width: float | None = None, wrap: bool = True,
              direction: Qt.LayoutDirection = Qt.LayoutDirection.LeftToRight) -> tuple[float,
                                                                                      float]:
    """The (width, height) ``text`` needs in ``font``, wrapped into ``width`` if given."""
    block = text_block(text, font, width, Qt.AlignmentFlag.AlignLeft, direction, wrap)
    return block.width, block.height


class TextLabel(QLabel):
    """A label whose words in a tall script (Nastaliq) are spaced by their letters, so no
    line's letters touch the next line's; in every other font it is a plain ``QLabel``."""

    def _tall(self) -> bool:
        return bool(self.text()) and is_tall(self.font())

    def _inner_width(self, width: int) -> float:
        margins = self.contentsMargins()
        return float(max(1, width - margins.left() - margins.right() - 2 * max(0, self.margin())))

    def _chrome(self) -> QSize:
        margins = self.contentsMargins()
        extra = 2 * max(0, self.margin())
        return QSize(margins.left() + margins.right() + extra,
                     margins.top() + margins.bottom() + extra)

    def heightForWidth(self, width: int) -> int:
        if not self._tall():
            return super().heightForWidth(width)
        self.ensurePolished()
        _, height = text_size(self.text(), self.font(),
                              self._inner_width(width) if self.wordWrap() else None,
                              self.wordWrap(), self.layoutDirection())
        return int(height + 0.999) + self._chrome().height()

    def sizeHint(self) -> QSize:
        if not self._tall():
            return super().sizeHint()
        self.ensurePolished()
        natural, _ = text_size(self.text(), self.font(), None, False, self.layoutDirection())
        width = natural
        if self.wordWrap():
            # As QLabel does: a wrapping label asks for a line of about 80 characters.
            width = min(natural, float(self.fontMetrics().averageCharWidth() * 80))
        chrome = self._chrome()
        full = int(width + 0.999) + chrome.width()
        return QSize(full, self.heightForWidth(full))

    def minimumSizeHint(self) -> QSize:
        if not self._tall():
            return super().minimumSizeHint()
        self.ensurePolished()
        if not self.wordWrap():
            return self.sizeHint()
        longest = max((text_size(word, self.font(), None, False)[0]
                       for word in self.text().split()), default=0.0)
        chrome = self._chrome()
        full = int(longest + 0.999) + chrome.width()
        return QSize(full, self.heightForWidth(full))

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._tall():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        self.drawFrame(painter)
        area = QRectF(self.contentsRect())
        inset = max(0, self.margin())
        area.adjust(inset, inset, -inset, -inset)
        painter.setPen(self.palette().color(self.foregroundRole()))
        flags = int(self.alignment())
        if self.wordWrap():
            flags |= int(Qt.TextFlag.TextWordWrap)
        draw_text(painter, area, flags, self.text(), self.font(), self.layoutDirection())
        painter.end()

