"""How the three looks (child, adult, older) are drawn: the campaign pack's theme for
each look made into colours, pixel sizes and the style sheet every screen uses."""

from __future__ import annotations

from dataclasses import dataclass, replace

from booth.pack import Look, LookTheme


@dataclass(frozen=True)
class LookStyle:
    """How one look is drawn, made by ``look_style`` from the pack's theme for it. Sizes
    are in pixels at a 768-pixel-high screen and are scaled with the window (see
    ``scaled``)."""

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
    title_px: int
    body_px: int
    button_px: int
    button_height: int
    tile_icon_px: int
    border_px: int
    radius_px: int
    read_aloud: bool
    font_family: str = "DejaVu Sans"

    def scaled(self, factor: float) -> LookStyle:
        """The same look for a bigger or smaller screen."""
        factor = max(0.6, min(factor, 2.5))
        return replace(
            self,
            title_px=round(self.title_px * factor),
            body_px=round(self.body_px * factor),
            button_px=round(self.button_px * factor),
            button_height=round(self.button_height * factor),
            tile_icon_px=round(self.tile_icon_px * factor),
            border_px=max(1, round(self.border_px * factor)),
            radius_px=round(self.radius_px * factor),
        )


@dataclass(frozen=True)
class _Shape:
    """What the booth sets for a look whatever the pack's colours: the stop button's red,
    how thick and round the borders are, and whether the look reads its words aloud."""

    danger: str
    border_px: int
    radius_px: int
    read_aloud: bool


# The child look has thick round borders and reads aloud (not every child reads yet);
# the older look has thick, nearly square borders around very large text.
_SHAPES: dict[Look, _Shape] = {
    "child": _Shape(danger="#C8102E", border_px=4, radius_px=28, read_aloud=True),
    "adult": _Shape(danger="#B3261E", border_px=2, radius_px=14, read_aloud=False),
    "older": _Shape(danger="#8B0000", border_px=4, radius_px=10, read_aloud=False),
}

# Sizes at font_scale 1.0 on a 768-pixel-high screen; the pack's factors scale them.
_BASE_TITLE, _BASE_BODY, _BASE_BUTTON, _BASE_HEIGHT, _BASE_ICON = 34, 22, 24, 64, 44


def look_style(look: Look, theme: LookTheme) -> LookStyle:
    """How ``look`` is drawn with the pack's ``theme`` for it (colours, font and touch
    scale) and the booth's own shape for the look."""
    shape = _SHAPES[look]
    font = float(theme.font_scale)
    touch = float(theme.touch_scale)
    # Titles grow less than body text so a big look still fits a laptop screen.
    title_scale = 1 + (font - 1) * 0.6
    return LookStyle(
        look=look,
        background=theme.background,
        surface="#FFFFFF",
        text=theme.text,
        muted=theme.text,
        accent=theme.button,
        accent_text=theme.button_text,
        secondary=theme.accent if look != "older" else "#FFFFFF",
        secondary_text=theme.text,
        danger=shape.danger,
        border=theme.text if look == "older" else theme.accent,
        title_px=round(_BASE_TITLE * title_scale),
        body_px=round(_BASE_BODY * font),
        button_px=round(_BASE_BUTTON * font),
        button_height=round(_BASE_HEIGHT * touch),
        tile_icon_px=round(_BASE_ICON * touch),
        border_px=shape.border_px,
        radius_px=shape.radius_px,
        read_aloud=shape.read_aloud,
    )


def style_sheet(style: LookStyle) -> str:
    """A Qt style sheet for every screen. Widgets pick their part with the ``role``
    property (title, body, primary, secondary, tile, ...)."""
    s = style
    pad = max(12, s.button_height // 5)
    return f"""
QWidget#screen, QWidget#officerPanel {{ background: {s.background}; }}
QWidget {{ color: {s.text}; font-family: "{s.font_family}", "Noto Color Emoji"; }}
QLabel {{ font-size: {s.body_px}px; background: transparent; }}
QLabel[role="title"] {{ font-size: {s.title_px}px; font-weight: bold; }}
QLabel[role="hero"] {{ font-size: {s.title_px * 2}px; font-weight: bold; color: {s.accent}; }}
QLabel[role="body"] {{ font-size: {s.body_px}px; }}
QLabel[role="muted"] {{ font-size: {max(14, s.body_px * 3 // 4)}px; color: {s.muted}; }}
QLabel[role="huge"] {{ font-size: {s.title_px * 3}px; font-weight: bold; color: {s.accent}; }}
QLabel[role="code"] {{ font-size: {s.title_px * 2}px; font-weight: bold;
    font-family: "DejaVu Sans Mono"; letter-spacing: 8px; color: {s.text};
    background: {s.surface}; border: {s.border_px}px solid {s.border};
    border-radius: {s.radius_px}px; padding: {pad}px; }}
QPushButton, QToolButton {{
    font-size: {s.button_px}px; min-height: {s.button_height}px;
    border-radius: {s.radius_px}px; padding: 4px {pad * 2}px;
    border: {s.border_px}px solid {s.border}; background: {s.surface}; color: {s.text};
}}
QPushButton[role="primary"] {{ background: {s.accent}; color: {s.accent_text};
    border-color: {s.accent}; font-weight: bold; }}
QPushButton[role="secondary"] {{ background: {s.secondary}; color: {s.secondary_text}; }}
QPushButton[role="plain"] {{ background: {s.surface}; color: {s.text}; }}
QPushButton[role="toggle"], QPushButton[role="option"] {{ background: {s.surface};
    color: {s.text}; font-weight: normal; }}
QPushButton[role="toggle"]:checked, QPushButton[role="option"]:checked {{
    background: {s.accent}; color: {s.accent_text}; border-color: {s.accent}; }}
QPushButton[role="stop"] {{ background: {s.danger}; color: #FFFFFF; border-color: {s.danger};
    font-weight: bold; }}
QPushButton[role="link"] {{ background: transparent; border: none; text-decoration: underline;
    font-size: {s.body_px}px; min-height: {s.button_height * 2 // 3}px; }}
QPushButton:focus, QToolButton:focus {{ border: {max(3, s.border_px)}px solid #FF6F00; }}
QPushButton:disabled {{ background: #D0D4D9; color: #50565E; border-color: #D0D4D9; }}
QToolButton[role="tile"] {{ background: {s.surface}; font-size: {s.button_px}px;
    padding: {pad}px; }}
QToolButton[role="tile"]:checked {{ background: {s.accent}; color: {s.accent_text};
    border-color: {s.accent}; }}
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
