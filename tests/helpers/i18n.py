"""Finding words on screen that did not go through the translation layer: under the
pseudo-language (``booth.i18n.PSEUDO_LANGUAGE``) every catalogued word and every pack word is
accented and [bracketed], so whatever is still plain ASCII was written around the layer."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from booth.i18n import is_pseudo

#: Words a custom-painted widget draws itself (a tally's labels, a preview's message).
ExtraTexts = Callable[[QWidget], Iterable[str]]


def _where(widget: QWidget) -> str:
    name = widget.objectName()
    kind = type(widget).__name__
    return f"{kind}#{name}" if name and name != kind else kind


def _texts(widget: QWidget, extra: ExtraTexts | None) -> Iterator[tuple[str, str]]:
    if isinstance(widget, QLabel):
        yield "text", widget.text()
    if isinstance(widget, QAbstractButton):
        yield "text", widget.text()
    if isinstance(widget, QLineEdit):
        yield "text", widget.text()
        yield "placeholderText", widget.placeholderText()
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        yield "text", widget.toPlainText()
        yield "placeholderText", widget.placeholderText()
    if isinstance(widget, QGroupBox):
        yield "title", widget.title()
    if isinstance(widget, QComboBox):
        for index in range(widget.count()):
            yield f"item {index}", widget.itemText(index)
    # Read aloud by screen readers, and by the child look's speech when a control has focus.
    yield "accessibleName", widget.accessibleName()
    yield "accessibleDescription", widget.accessibleDescription()
    yield "toolTip", widget.toolTip()
    if extra is not None:
        for text in extra(widget):
            yield "drawn", text


def untranslated_texts(root: QWidget, extra: ExtraTexts | None = None,
                       allowed: Container[str] = ()) -> list[tuple[str, str]]:
    """Every visible word under ``root`` (``root`` included) that is not pseudo-translated, as
    (which widget and property, the text). Hidden widgets are skipped: only what a person can
    see or hear counts. ``allowed`` names texts that are data, not words (a reference code)."""
    found: list[tuple[str, str]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget is not root and not widget.isVisibleTo(root):
            continue
        for prop, text in _texts(widget, extra):
            if text and text not in allowed and not is_pseudo(text):
                found.append((f"{_where(widget)}.{prop}", text))
    return found
