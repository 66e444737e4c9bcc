"""How the three looks (child, adult, older) are drawn: the campaign pack's theme for
each look made into colours, pixel sizes and the style sheet every screen uses."""

from __future__ import annotations

from dataclasses import dataclass, replace

from booth.pack import Look, LookTheme, contrast_ratio

#: WCAG 1.4.11 asks 3:1 of what shows a control (its border, its focus ring) against what
#: is next to it; the booth keeps a margin above that, as screens in halls wash colours out.
MIN_GRAPHIC_CONTRAST = 3.5
#: The focus ring's colour before it is darkened to read on the look's background.
FOCUS_COLOUR = "#B45000"
#: What the booth is designed for first: a school laptop or a touch monitor. Bigger
#: screens scale up from here (see ``KioskWindow``), never down below it.
DESIGN_SIZE = (1024, 768)


@dataclass(frozen=True)
class LookStyle:
    """How one look is drawn, made by ``look_style`` from the pack's theme for it. Sizes
    are in pixels at the 1024x768 design size and are scaled with the window (see
    ``scaled``); ``min_target`` and ``gap`` are floors that never scale down."""

    look: Look
    background: str
    surface: str
    text: str
    muted: str
    accent: str
    accent_text: str
    secondary: str
    secondary_text: str
    danger: str
    border: str
    focus: str  # the keyboard focus ring, with an inner ring of surface colour
    chosen: str  # the outline and tick of a chosen answer
    bar: str  # the tally's bars of what others chose (theirs are in ``chosen``)
    title_px: int
    body_px: int
    button_px: int
    button_height: int
    tile_icon_px: int
    border_px: int
    radius_px: int
    read_aloud: bool
    min_target: int = 48  # the smallest touch target, in pixels
    gap: int = 12  # the smallest gap between two touch targets
    font_family: str = "DejaVu Sans"

    def scaled(self, factor: float) -> LookStyle:
        """The same look for a bigger (or, not below the floors, smaller) screen."""
        factor = max(0.6, min(factor, 2.5))
        return replace(
            self,
            title_px=round(self.title_px * factor),
            body_px=round(self.body_px * factor),
            button_px=round(self.button_px * factor),
            button_height=max(self.min_target, round(self.button_height * factor)),
            tile_icon_px=round(self.tile_icon_px * factor),
            border_px=max(1, round(self.border_px * factor)),
            radius_px=round(self.radius_px * factor),
            gap=max(self.gap, round(self.gap * factor)),
        )

    @property
    def nav_px(self) -> int:
        """Text size of the Back, Stop and "Hear it again" buttons."""
        return max(18, self.body_px * 4 // 5)

    @property
    def status_px(self) -> int:
        """Text size of the line between Back and Stop ("Saved ✓", "Question 1 of 2")."""
        return max(16, self.body_px * 7 // 10)

    @property
    def nav_height(self) -> int:
        return max(self.min_target, self.nav_px * 2)

    @property
    def reading_px(self) -> int:
        """Text size of longer reading (the consent wording): the older look's very large
        body text would not fit a laptop screen in full sentences."""
        return self.body_px * 9 // 10

    @property
    def margin(self) -> int:
        """Space around a screen's content."""
        return max(self.gap + 8, self.body_px)


@dataclass(frozen=True)
class _Shape:
    """What the booth sets for a look whatever the pack's colours: the stop button's red,
    how thick and round the borders are, whether the look reads its words aloud, and its
    smallest touch target (64 px for children and older people, 48 px for adults)."""

    danger: str
    border_px: int
    radius_px: int
    read_aloud: bool
    min_target: int


# The child look has thick round borders and reads aloud (not every child reads yet);
# the older look has thick, nearly square borders around very large text.
_SHAPES: dict[Look, _Shape] = {
    "child": _Shape(danger="#C8102E", border_px=4, radius_px=28, read_aloud=True, min_target=64),
    "adult": _Shape(danger="#B3261E", border_px=2, radius_px=14, read_aloud=False, min_target=48),
    "older": _Shape(danger="#8B0000", border_px=4, radius_px=10, read_aloud=False, min_target=64),
}

# Sizes at font_scale 1.0 on the 1024x768 design screen; the pack's factors scale them.
_BASE_TITLE, _BASE_BODY, _BASE_BUTTON, _BASE_HEIGHT, _BASE_ICON = 34, 22, 24, 64, 44
# The pack's touch_scale makes buttons taller up to this (1.5 times the base) at the
# design size: taller still, four of them no longer fit above each other on 768 pixels.
_MOST_HEIGHT = 96
_MOST_FONT_SCALE = 1.6


def readable_on(colour: str, backgrounds: list[str],
                ratio: float = MIN_GRAPHIC_CONTRAST) -> str:
    """``colour``, darkened (its hue kept) until it has ``ratio`` against every one of
    ``backgrounds``. Backgrounds are light in every look; black always gets there."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    shade = colour
    for _ in range(100):
        shade = f"#{red:02X}{green:02X}{blue:02X}"
        if all(contrast_ratio(shade, back) >= ratio for back in backgrounds):
            return shade
        red, green, blue = (int(c * 0.94) for c in (red, green, blue))
    return shade


def look_style(look: Look, theme: LookTheme) -> LookStyle:
    """How ``look`` is drawn with the pack's ``theme`` for it (colours, font and touch
    scale) and the booth's own shape for the look."""
    shape = _SHAPES[look]
    # At the design size the pack's scales are kept to what fits a 768-pixel-high screen
    # (bigger screens scale everything up from there).
    font = min(float(theme.font_scale), _MOST_FONT_SCALE)
    touch = float(theme.touch_scale)
    surface = "#FFFFFF"
    backgrounds = [theme.background, surface]
    # Titles grow less than body text so a big look still fits a laptop screen.
    title_scale = 1 + (font - 1) * 0.6
    border = theme.text if look == "older" else theme.accent
    return LookStyle(
        look=look,
        background=theme.background,
        surface=surface,
        text=theme.text,
        muted=theme.text,
        accent=theme.button,
        accent_text=theme.button_text,
        secondary=theme.accent if look != "older" else surface,
        secondary_text=theme.text,
        danger=shape.danger,
        border=readable_on(border, backgrounds),
        focus=readable_on(FOCUS_COLOUR, backgrounds),
        chosen=readable_on(theme.button, backgrounds, 4.5),
        bar=readable_on(theme.accent, backgrounds),
        title_px=round(_BASE_TITLE * title_scale),
        body_px=round(_BASE_BODY * font),
        button_px=round(_BASE_BUTTON * font),
        button_height=max(shape.min_target, min(_MOST_HEIGHT, round(_BASE_HEIGHT * touch))),
        tile_icon_px=round(_BASE_ICON * touch),
        border_px=shape.border_px,
        radius_px=shape.radius_px,
        read_aloud=shape.read_aloud,
        min_target=shape.min_target,
    )


def style_sheet(style: LookStyle) -> str:
    """A Qt style sheet for every screen. Widgets pick their part with the ``role``
    property (title, body, primary, secondary, tile, ...). Buttons draw their own focus
    ring, and only once the keyboard is used (``booth.ui.widgets.WrapButton``)."""
    s = style
    pad = max(12, s.button_height // 5)
    return f"""
QWidget#screen, QWidget#officerPanel, QWidget#navBar {{ background: {s.background}; }}
QWidget {{ color: {s.text}; font-family: "{s.font_family}", "Noto Color Emoji"; }}
QLabel {{ font-size: {s.body_px}px; background: transparent; }}
QLabel[role="title"] {{ font-size: {s.title_px}px; font-weight: bold; }}
QLabel[role="hero"] {{ font-size: {s.title_px * 2}px; font-weight: bold; color: {s.accent}; }}
QLabel[role="body"] {{ font-size: {s.body_px}px; }}
QLabel[role="muted"] {{ font-size: {max(16, s.body_px * 3 // 4)}px; color: {s.muted}; }}
QLabel[role="notice"] {{ font-size: {s.body_px}px; font-weight: bold; color: {s.text}; }}
QLabel[role="status"] {{ font-size: {s.status_px}px; font-weight: bold; color: {s.text}; }}
/* Digits (a countdown, the clock) and pictures: in Latin digits whatever the language. */
QLabel[role="huge"] {{ font-size: {s.title_px * 3}px; font-weight: bold; color: {s.accent};
    font-family: "DejaVu Sans", "Noto Color Emoji"; }}
QLabel[role="picture"] {{ font-size: {s.tile_icon_px * 3 // 4}px; }}
QLabel[role="idea"] {{ font-size: {s.reading_px * 4 // 3}px; }}
QLabel[role="reading"] {{ font-size: {s.reading_px}px; }}
QLabel[role="code"] {{ font-size: {s.title_px * 2}px; font-weight: bold;
    font-family: "DejaVu Sans Mono"; letter-spacing: 6px; color: {s.text};
    background: {s.surface}; border: {s.border_px}px solid {s.border};
    border-radius: {s.radius_px}px; padding: {pad // 2}px {pad}px; }}
QPushButton, QToolButton {{
    font-size: {s.button_px}px; min-height: {s.button_height}px;
    border-radius: {s.radius_px}px; padding: 4px {pad}px;
    border: {s.border_px}px solid {s.border}; background: {s.surface}; color: {s.text};
    outline: none;
}}
QPushButton[role="primary"] {{ background: {s.accent}; color: {s.accent_text};
    border-color: {s.accent}; font-weight: bold; }}
QPushButton[role="secondary"] {{ background: {s.secondary}; color: {s.secondary_text}; }}
QPushButton[role="plain"] {{ background: {s.surface}; color: {s.text}; }}
QPushButton[role="stop"] {{ background: {s.danger}; color: #FFFFFF; border-color: {s.danger};
    font-weight: bold; }}
QPushButton[role="quit"] {{ background: {s.surface}; color: {s.danger};
    border-color: {s.danger}; font-weight: bold; }}
QPushButton[role="nav"], QPushButton[role="quit"] {{ font-size: {s.nav_px}px;
    min-height: {s.nav_height}px; padding: 2px {max(12, s.nav_px * 2 // 3)}px; }}
QPushButton[role="link"] {{ background: {s.surface}; border-color: {s.border};
    font-size: {s.body_px}px; min-height: {s.min_target}px; }}
QPushButton[role="choice"] {{ background: {s.surface}; color: {s.text};
    font-size: {s.nav_px}px; min-height: {s.nav_height}px;
    padding: 2px {max(12, s.nav_px * 2 // 3)}px; }}
QPushButton[role="choice"]:checked {{ border: {s.border_px + 3}px solid {s.chosen};
    font-weight: bold; }}
QPushButton:disabled {{ background: #D0D4D9; color: #50565E; border-color: #D0D4D9; }}
QCheckBox {{ font-size: {s.body_px}px; }}
QLineEdit, QComboBox, QSpinBox {{ font-size: {s.body_px}px;
    min-height: {s.button_height * 2 // 3}px;
    border: {s.border_px}px solid {s.border}; border-radius: 6px; padding: 2px 8px;
    background: {s.surface}; }}
QWidget[big="true"] QLabel[role="title"] {{ font-size: {s.title_px * 8 // 5}px; }}
QWidget[big="true"] QLabel[role="body"] {{ font-size: {s.title_px}px; }}
QWidget[big="true"] QPushButton {{ font-size: {s.title_px}px;
    min-height: {s.button_height * 7 // 5}px; }}
QTabBar::tab {{ font-size: {s.body_px}px; padding: 10px 18px; }}
QWidget#officerPanel QPushButton {{ min-height: {s.button_height * 3 // 4}px; }}
QGroupBox {{ font-size: {s.body_px}px; font-weight: bold; }}
"""
