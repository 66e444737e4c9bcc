"""The Qt side of a participant's language: the font that shapes its script, found by Qt, and
the direction the screens are laid out in (Urdu and Arabic mirror the whole layout).

A source checkout uses the fonts Debian's fonts-noto-core installs (scripts/setup.sh); a
frozen build carries copies in resources/fonts (booth.spec), registered here so the kiosk
needs nothing installed. Which font a language needs is decided in ``booth.i18n``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase

from booth import i18n
from booth.pack import Look, resources_dir

log = logging.getLogger(__name__)

#: The look's own font, for languages whose script it sets well (Latin, Greek, Cyrillic).
DEFAULT_FAMILY = "DejaVu Sans"
#: Nastaliq needs lines about twice as far apart as Latin text (``booth.ui.text``): its
#: words are a little smaller, so an Urdu screen still fits where the English one does. The
#: child and older looks, whose words are already large, give up a little more. Naskh's
#: letters are a tenth bigger than DejaVu's at the same size (a letter's body 0.62 em
#: against Latin's x-height, 0.55 em), and its lines a third taller: a tenth or so smaller,
#: Arabic reads about as large as English and fits its screens (the video on review too).
_SIZE_FACTORS: dict[str, dict[Look, float]] = {
    "Noto Nastaliq Urdu": {"child": 0.75, "adult": 0.85, "older": 0.7},
    "Noto Naskh Arabic": {"child": 0.85, "adult": 0.9, "older": 0.85},
}


@dataclass(frozen=True)
class TextStyle:
    """How a language's words are drawn: in which font, and which way the screen runs."""

    language: str
    family: str
    direction: Qt.LayoutDirection
    # The language's words against each look's sizes (1 for most).
    size_factors: Mapping[Look, float] = field(default_factory=dict)

    def size_factor(self, look: Look) -> float:
        return self.size_factors.get(look, 1.0)

    @property
    def right_to_left(self) -> bool:
        return self.direction == Qt.LayoutDirection.RightToLeft


def fonts_dir() -> Path:
    """The fonts a frozen build ships (absent in a source checkout: the system has them)."""
    return resources_dir() / "fonts"


@cache
def register_fonts() -> tuple[str, ...]:
    """Add the shipped fonts to Qt's database, once (a QGuiApplication must exist). Returns
    the families they hold."""
    families: list[str] = []
    for file in sorted(fonts_dir().glob("*.[ot]tf")):
        font_id = QFontDatabase.addApplicationFont(str(file))
        if font_id < 0:
            log.error("the font file %s could not be read", file)
            continue
        families += QFontDatabase.applicationFontFamilies(font_id)
    return tuple(sorted(set(families)))


def missing_fonts() -> list[str]:
    """The families ``booth.i18n`` asks for that Qt cannot find on this machine."""
    register_fonts()
    have = set(QFontDatabase.families())
    return [family for family in i18n.required_fonts() if family not in have]


def text_style(language: str, default_family: str = DEFAULT_FAMILY) -> TextStyle:
    """The font family and layout direction for ``language``: "Noto Nastaliq Urdu" and right
    to left for Urdu, "Noto Naskh Arabic" and right to left for Arabic, the look's own font
    and left to right for English and Polish."""
    register_fonts()
    family = i18n.font_family(language) or default_family
    if family not in QFontDatabase.families():
        # Qt would quietly draw the words in another font, unjoined or in the wrong style.
        log.error("the font %s for %s is not installed (scripts/setup.sh installs it)",
                  family, i18n.english_name(language))
    direction = (Qt.LayoutDirection.RightToLeft if i18n.direction(language) == "rtl"
                 else Qt.LayoutDirection.LeftToRight)
    return TextStyle(language, family, direction, _SIZE_FACTORS.get(family, {}))
