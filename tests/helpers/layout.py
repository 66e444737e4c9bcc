"""What "nothing clipped" means, measured on a shown kiosk window: every label's and
button's words fit their widget (wrapped where they wrap), every touch target is big
enough, and targets keep their distance."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from booth.journey import State
from booth.pack import Look
from booth.ui.looks import LookStyle
from booth.ui.text import is_tall, text_size
from booth.ui.widgets import PictureTile, PreviewView, WrapButton
from tests.helpers.ui import WindowRig, camera_card

#: The smallest gap between two touch targets, and the smallest text in a tile.
MIN_GAP = 12
MIN_TILE_TEXT_PX = 16
_SLACK = 1.0  # a pixel of rounding between Qt's layout and its font metrics


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _name(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""
    return f"{type(widget).__name__} {text[:40]!r}"


def _shown(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisible() and widget.window() is root.window()


def _in_window(widget: QWidget, rect: QRectF | QRect) -> QRectF:
    window = widget.window()
    top_left = widget.mapTo(window, QRectF(rect).topLeft().toPoint())
    return QRectF(top_left.x(), top_left.y(), rect.width(), rect.height())


def _words_fit(font: QFont, text: str, area: QRectF, wrap: bool,
               direction: Qt.LayoutDirection = Qt.LayoutDirection.LeftToRight) -> str | None:
    """Why ``text`` in ``font`` does not fit ``area``, or None when it fits."""
    metrics = QFontMetricsF(font)
    if not text.strip():
        return None
    if is_tall(font):
        # Measured as drawn: lines spaced by their letters (booth.ui.text).
        longest = max(text_size(word, font, None, False, direction)[0] for word in text.split())
        wide, high = text_size(text, font, area.width() if wrap else None, wrap, direction)
        if (longest if wrap else wide) > area.width() + _SLACK:
            return f"needs {longest if wrap else wide:.0f} px wide, has {area.width():.0f}"
        if high > area.height() + _SLACK:
            return f"needs {high:.0f} px high, has {area.height():.0f}"
        return None
    if not wrap:
        # Measured as drawn, with any fallback font (an emoji) the text needs.
        bound = metrics.boundingRect(QRectF(0, 0, 100_000, 100_000), 0, text)
        if bound.width() > area.width() + _SLACK:
            return f"needs {bound.width():.0f} px wide, has {area.width():.0f}"
        if bound.height() > area.height() + _SLACK:
            return f"needs {bound.height():.0f} px high, has {area.height():.0f}"
        return None
    longest = max(metrics.horizontalAdvance(word) for word in text.split())
    if longest > area.width() + _SLACK:
        return f"a word needs {longest:.0f} px wide, has {area.width():.0f}"
    bound = metrics.boundingRect(QRectF(0, 0, area.width(), 100_000),
                                 int(Qt.TextFlag.TextWordWrap), text)
    if bound.height() > area.height() + _SLACK:
        return f"needs {bound.height():.0f} px high, has {area.height():.0f}"
    return None


def layout_problems(root: QWidget, style: LookStyle) -> list[Problem]:
    """Everything clipped, too small or too close among the widgets shown under ``root``
    (a screen, the nav bar or an overlay), for the look ``style``."""
    problems: list[Problem] = []
    window = root.window()
    inside = QRectF(window.rect())
    widgets = [w for w in root.findChildren(QWidget) if _shown(w, root)]
    targets: list[tuple[QWidget, QRectF]] = []
    for widget in widgets:
        where = _name(widget)
        if isinstance(widget, QLabel):
            area = QRectF(widget.contentsRect())
            why = _words_fit(widget.font(), widget.text(), area, widget.wordWrap(),
                             widget.layoutDirection())
            if why:
                problems.append(Problem(where, f"text clipped ({why})"))
            placed = _in_window(widget, widget.rect())
            if widget.text().strip() and not inside.contains(placed.adjusted(1, 1, -1, -1)):
                problems.append(Problem(where, "outside the window"))
        elif isinstance(widget, WrapButton):
            why = _words_fit(widget.font(), widget.text(), QRectF(widget.text_rect()), True,
                             widget.layoutDirection())
            if why:
                problems.append(Problem(where, f"text clipped ({why})"))
            targets.append((widget, _in_window(widget, widget.rect())))
        elif isinstance(widget, PictureTile):
            font = widget.text_font()
            why = _words_fit(font, widget.text(), widget.text_area(), True,
                             widget.layoutDirection())
            if why:
                problems.append(Problem(where, f"text clipped ({why})"))
            if widget.text_px() < MIN_TILE_TEXT_PX:
                problems.append(Problem(where, f"text only {widget.text_px()} px"))
            targets.append((widget, _in_window(widget, widget.outline())))
        elif isinstance(widget, PreviewView):
            video = widget.video_rect()
            if video.width() < window.width() * 0.4:
                problems.append(Problem(where, f"video only {video.width():.0f} px wide"))
    for widget, rect in targets:
        where = _name(widget)
        if rect.height() + _SLACK < style.min_target:
            problems.append(Problem(where, f"only {rect.height():.0f} px tall "
                                           f"(needs {style.min_target})"))
        if not inside.contains(rect.adjusted(1, 1, -1, -1)):
            problems.append(Problem(where, "outside the window"))
    for index, (first, a) in enumerate(targets):
        for second, b in targets[index + 1:]:
            dx = max(b.left() - a.right(), a.left() - b.right(), 0.0)
            dy = max(b.top() - a.bottom(), a.top() - b.bottom(), 0.0)
            gap = max(dx, dy)
            if gap + _SLACK < MIN_GAP:
                problems.append(Problem(f"{_name(first)} and {_name(second)}",
                                        f"only {gap:.0f} px apart"))
    return problems


def every_screen(rig: WindowRig, look: Look) -> Iterator[tuple[str, list[QWidget]]]:
    """Walk one person of ``look`` through every screen and overlay (and the attract,
    welcome and failsafe screens in that look), yielding each one's name and the widgets
    shown (screen, Back/Stop bar, overlay) once it is drawn."""
    w, journey, clock = rig.window, rig.journey, rig.clock
    w.resting_look = look
    w.set_styles(w.base_styles)  # redraw the resting screens in this look

    def shown(*overlays: QWidget) -> list[QWidget]:
        # Until the layouts settle: words that need another line ask for a relayout.
        for _ in range(3):
            QApplication.processEvents()
            layout = w.layout()
            if layout is not None:
                layout.activate()
        roots: list[QWidget] = [w.stack.currentWidget()]
        if w.nav.isVisible():
            roots.append(w.nav)
        return roots + [o for o in overlays if o.isVisible()]

    journey.touch()
    journey.fail("layout")
    yield "failsafe", shown()
    clock.advance(60)
    journey.tick()
    yield "attract", shown()
    journey.touch()
    yield "welcome", shown()
    journey.choose_look(look)
    yield "consent", shown()
    if journey.view().needs_adult_confirmation:
        w.consent.adult.setChecked(True)
        yield "consent, the grown-up said yes", shown()
    journey.give_consent(adult_confirmed=True)
    yield "choose a question", shown()
    journey.choose_prompt(rig.pack.prompts_for(look)[0].id)
    w.show_camera_frame(camera_card(1280, 720))
    yield "get ready", shown()
    journey.start_recording()
    if journey.view().countdown_remaining is not None:
        w.show_camera_frame(camera_card(1280, 720))
        yield "countdown", shown()
        journey.countdown_done()
    clock.advance(5)
    journey.tick()
    w.show_camera_frame(camera_card(1280, 720))
    yield "recording", shown()
    clock.advance((journey.view().seconds_left or 0) - 9)
    journey.tick()
    yield "recording, the last seconds", shown()
    journey.stop_recording()
    w.review.video_frame.set_frame(camera_card(1280, 720))
    yield "review", shown()
    w.review.retake.click()
    yield "asked before trying again", shown(w.confirm)
    w.confirm.no.click()
    w.nav.stop.click()
    yield "asked before stopping", shown(w.confirm)
    w.confirm.no.click()
    journey.keep()
    plist = rig.pack.priority_list_for(look)
    for item in plist.items[: plist.max_ticks]:
        journey.toggle_priority(item.id)
    yield "priorities, saved and all ticked", shown()
    journey.back()
    yield "choose another question, a video kept", shown()
    journey.skip_video()
    rig.backend.counts, rig.backend.people = {}, 3
    journey.submit_priorities([plist.items[0].id])
    yield "tally, too few people", shown()
    journey.back()
    rig.backend.counts = {item.id: 9 - n % 9 for n, item in enumerate(plist.items)}
    rig.backend.people = 12
    journey.submit_priorities([plist.items[0].id])
    yield "tally", shown()
    journey.continue_after_tally()
    if journey.state is State.ABOUT_YOU:
        for index, question in enumerate(journey.view().about_you):
            w.about.current_options()[0].click()
            yield f"about you, question {index + 1} ({question.id})", shown()
            if index < len(journey.view().about_you) - 1:
                w.about.next.click()
        journey.skip_about_you()
    yield "thank you", shown()
    clock.advance((journey.view().thank_you_left or 0) - 1)
    journey.tick()
    yield "thank you, the last second", shown()
    journey.finish()
    journey.touch()
    journey.choose_look(look)
    journey.give_consent(adult_confirmed=True)
    clock.advance(rig.pack.idle_for(look).idle_seconds + 1)
    journey.tick()
    yield "still there?", shown(w.still_there)
    journey.still_here()
    journey.stop_and_delete()
    yield "goodbye after Stop", shown()
    journey.finish()
    journey.touch()
    journey.choose_look(look)
    journey.decline_consent()
    yield "goodbye after No thanks", shown()
    journey.finish()
