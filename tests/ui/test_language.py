"""Each language drawn as it should be: Urdu in Nastaliq and Arabic in Naskh, joined, shaped
and right to left; the fonts a frozen build ships; and the pseudo-language check that finds
words on screen that bypassed the translation layer."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontInfo, QImage, QTextLayout
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from booth import i18n
from booth.pack import default_pack_path, load_pack
from booth.ui import language
from booth.ui.language import text_style
from tests.helpers.i18n import untranslated_texts

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC = ROOT / "booth.spec"
NOTO = Path("/usr/share/fonts/truetype/noto")

# A sentence of the screens with numbers in it.
QUESTION_OF = "Question {number} of {total}. You do not have to answer."
# One sentence from the booth's catalogue and one from the campaign pack, per language.
SAMPLES = {
    "en": "Hello! Who is taking part?",
    "pl": "Dzień dobry! Kto bierze udział?",
    "ur": "آپ کو اسٹاک پورٹ کی کون سی بات سب سے اچھی لگتی ہے؟",
    "ar": "ما أكثر ما يعجبك في ستوكبورت؟",
}


@pytest.fixture(autouse=True)
def _english_again() -> Iterator[None]:
    yield
    i18n._current = None
    i18n.catalogue.cache_clear()


def _layout(text: str, font: QFont, direction: Qt.LayoutDirection) -> QTextLayout:
    layout = QTextLayout(text, font)
    option = layout.textOption()
    option.setTextDirection(direction)
    layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(10_000)
    layout.endLayout()
    return layout


@pytest.mark.parametrize(("code", "family", "rtl"), [
    ("en", "DejaVu Sans", False),
    ("pl", "DejaVu Sans", False),
    ("ur", "Noto Nastaliq Urdu", True),
    ("ar", "Noto Naskh Arabic", True),
])
def test_each_language_gets_its_font_and_direction(
    qtbot: QtBot, code: str, family: str, rtl: bool,
) -> None:
    style = text_style(code)
    assert style.family == family and style.right_to_left is rtl
    label = QLabel(SAMPLES[code])
    qtbot.addWidget(label)
    label.setFont(QFont(style.family))
    label.setLayoutDirection(style.direction)
    assert QFontInfo(label.font()).family() == family  # found, not a stand-in


@pytest.mark.parametrize("code", ["ur", "ar"])
def test_urdu_and_arabic_words_are_joined_shaped_and_run_right_to_left(
    qtbot: QtBot, code: str,
) -> None:
    style = text_style(code)
    font = QFont(style.family)
    font.setPixelSize(32)
    text = SAMPLES[code]
    layout = _layout(text, font, style.direction)
    runs = layout.glyphRuns()
    script_runs = [run for run in runs if run.rawFont().familyName() == style.family]
    assert script_runs, [run.rawFont().familyName() for run in runs]
    for run in script_runs:
        shaped = list(run.glyphIndexes())
        raw = run.rawFont()
        # The same letters one by one, each in its isolated form: what unshaped text shows.
        isolated = [glyph for ch in text if not ch.isspace() and ch.isalpha()
                    for glyph in raw.glyphIndexesForString(ch)]
        assert set(shaped) - set(isolated), "no contextual (joined) letter forms were used"
    line = layout.lineAt(0)
    # Right to left: the first letter is drawn right of the last.
    assert line.cursorToX(0)[0] > line.cursorToX(len(text))[0]


def test_every_language_renders_legibly(qtbot: QtBot, tmp_path: Path) -> None:
    """The picture a person would see (kept in tmp_path as languages.png to look at)."""
    pack = load_pack(default_pack_path())
    root = QWidget()
    qtbot.addWidget(root)
    root.setStyleSheet("background: #FFFFFF; color: #1B1B1B;")
    column = QVBoxLayout(root)
    # The offscreen platform cannot pass size hints on, and says so: ask for none.
    column.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    labels: dict[str, QLabel] = {}
    for code in pack.languages:
        style = text_style(code)
        words = i18n.catalogue(code)
        view = pack.in_language(code)
        label = QLabel(f"{i18n.native_name(code)}: {words.tr('Hello! Who is taking part?')}\n"
                       f"{view.prompts_for('adult')[0].text}\n"
                       f"{words.tr(QUESTION_OF, number=2, total=3)} · AB7-K2M")
        font = QFont(style.family)
        font.setPixelSize(26)
        label.setFont(font)
        label.setLayoutDirection(style.direction)
        label.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter)
        column.addWidget(label)
        labels[code] = label
    root.resize(900, 640)
    root.show()
    qtbot.waitExposed(root)
    image = root.grab().toImage()
    assert image.save(str(tmp_path / "languages.png"))
    for code, label in labels.items():
        box = label.geometry()
        ink = _ink_columns(image, box.x(), box.y(), box.width(), box.height())
        assert ink, f"{code}: nothing drawn"
        if code in ("ur", "ar"):  # right to left: the words hug the right edge
            assert max(ink) > box.width() * 0.9 and min(ink) > box.width() * 0.05
        else:
            assert min(ink) < box.width() * 0.1


def _ink_columns(image: QImage, x: int, y: int, width: int, height: int) -> list[int]:
    columns = []
    for dx in range(0, width, 2):
        for dy in range(0, height, 3):
            if QColor(image.pixel(x + dx, y + dy)).lightness() < 128:
                columns.append(dx)
                break
    return columns


def test_the_frozen_build_ships_the_font_of_every_language(qtbot: QtBot) -> None:
    names = re.findall(r'"(Noto[A-Za-z]+-(?:Regular|Bold)\.ttf)"', SPEC.read_text("utf-8"))
    assert names, "booth.spec lists no fonts"
    families: set[str] = set()
    for name in names:
        font_id = QFontDatabase.addApplicationFont(str(NOTO / name))
        assert font_id >= 0, f"{NOTO / name} is missing: run scripts/setup.sh"
        families.update(QFontDatabase.applicationFontFamilies(font_id))
    assert set(i18n.required_fonts()) <= families


def test_shipped_fonts_are_registered_at_start(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for name in ("NotoNastaliqUrdu-Regular.ttf", "NotoNaskhArabic-Regular.ttf"):
        shutil.copy(NOTO / name, fonts / name)
    monkeypatch.setattr(language, "fonts_dir", lambda: fonts)
    language.register_fonts.cache_clear()
    try:
        assert language.register_fonts() == ("Noto Naskh Arabic", "Noto Nastaliq Urdu")
        assert language.missing_fonts() == []
    finally:
        language.register_fonts.cache_clear()


def test_a_missing_font_is_logged_not_quietly_replaced(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(i18n, "font_family", lambda code: "No Such Nastaliq")
    with caplog.at_level(logging.ERROR, logger="booth.ui.language"):
        style = text_style("ur")
    assert style.family == "No Such Nastaliq"
    assert "not installed" in caplog.text


# --------------------------------------------------------------------------- pseudo-language


def test_the_pseudo_language_check_finds_words_that_bypassed_the_layer(qtbot: QtBot) -> None:
    i18n.use(i18n.PSEUDO_LANGUAGE)
    pack = load_pack(default_pack_path()).in_language(i18n.PSEUDO_LANGUAGE)
    root = QWidget()
    qtbot.addWidget(root)
    column = QVBoxLayout(root)
    column.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    title = QLabel(i18n.tr("Hello! Who is taking part?"))
    prompt = QLabel(pack.prompts_for("child")[0].text)
    count = QLabel(i18n.tr(QUESTION_OF, number=1, total=3))
    seconds = QLabel("12")
    code = QLabel("AB7-K2M")
    stray = QLabel("Touch here")  # written around the layer
    hidden = QLabel("Never shown")
    row = QHBoxLayout()
    yes = QPushButton(i18n.tr("Yes, I agree"))
    yes.setAccessibleName("Agree")  # read aloud, so it counts
    no = QPushButton(i18n.tr("No thanks"))
    no.setAccessibleName(i18n.tr("No thanks"))
    row.addWidget(yes)
    row.addWidget(no)
    for widget in (title, prompt, count, seconds, code, stray, hidden):
        column.addWidget(widget)
    column.addLayout(row)
    hidden.hide()
    root.show()
    qtbot.waitExposed(root)
    found = untranslated_texts(root, allowed={"AB7-K2M"})
    assert [text for _, text in found] == ["Touch here", "Agree"]
    assert found[1][0] == "QPushButton.accessibleName"
    drawn = untranslated_texts(root, extra=lambda w: ["drawn words"] if w is title else [],
                               allowed={"AB7-K2M"})
    assert ("QLabel.drawn", "drawn words") in drawn


def test_a_screen_drawn_in_english_is_all_found(qtbot: QtBot) -> None:
    root = QLabel(i18n.tr("Hello! Who is taking part?"))  # English: nothing is bracketed
    qtbot.addWidget(root)
    root.show()
    assert untranslated_texts(root) == [("QLabel.text", "Hello! Who is taking part?")]
