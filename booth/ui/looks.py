"""The three looks (child, adult, older): colours, sizes and the style sheet they make."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

LookName = Literal["child", "adult", "older"]
LOOKS: tuple[LookName, ...] = ("child", "adult", "older")


@dataclass(frozen=True)
class LookStyle:
    """How one look is drawn. Sizes are in pixels at a 768-pixel-high screen and are
    scaled with the window (see ``scaled``)."""

    name: LookName
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
    countdown: bool
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


# Colours: the child look is bright and warm, the adult look calm, and the older look
# is black on white with thick borders (contrast well above WCAG AAA's 7:1).
_DEFAULTS: dict[LookName, LookStyle] = {
    "child": LookStyle(
        name="child", background="#FFF6DC", surface="#FFFFFF", text="#1E2A3A",
        muted="#4A5668", accent="#0B7A75", accent_text="#FFFFFF", secondary="#FFD23F",
        secondary_text="#1E2A3A", danger="#C8102E", border="#F2B134",
        title_px=44, body_px=30, button_px=32, button_height=96, tile_icon_px=72,
        border_px=4, radius_px=28, countdown=True, read_aloud=True,
    ),
    "adult": LookStyle(
        name="adult", background="#F4F6F8", surface="#FFFFFF", text="#15202B",
        muted="#44505C", accent="#005A70", accent_text="#FFFFFF", secondary="#E3E8ED",
        secondary_text="#15202B", danger="#B3261E", border="#C9D1D9",
        title_px=38, body_px=25, button_px=26, button_height=78, tile_icon_px=52,
        border_px=2, radius_px=14, countdown=True, read_aloud=False,
    ),
    "older": LookStyle(
        name="older", background="#FFFFFF", surface="#FFFFFF", text="#000000",
        muted="#1A1A1A", accent="#002B5C", accent_text="#FFFFFF", secondary="#FFE600",
        secondary_text="#000000", danger="#8B0000", border="#000000",
        title_px=50, body_px=34, button_px=36, button_height=104, tile_icon_px=60,
        border_px=4, radius_px=10, countdown=False, read_aloud=False,
    ),
}


class PackLookStyle(Protocol):
    """The campaign pack's colours and size factors for one look (``booth.pack.LookStyle``)."""

    @property
    def background(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def accent(self) -> str: ...
    @property
    def button(self) -> str: ...
    @property
    def button_text(self) -> str: ...
    @property
    def font_scale(self) -> float: ...
    @property
    def touch_scale(self) -> float: ...


# Sizes at font_scale 1.0 on a 768-pixel-high screen; the pack's factors scale them.
_BASE_TITLE, _BASE_BODY, _BASE_BUTTON, _BASE_HEIGHT, _BASE_ICON = 34, 22, 24, 64, 44


def look_style(look: LookName, pack_style: PackLookStyle | None = None,
               countdown: bool | None = None) -> LookStyle:
    """The style for a look: the booth's defaults, or the campaign pack's theme
    (colours, font and touch scale) when given. ``countdown`` False means the look
    starts recording with a button, not a 3-2-1."""
    base = _DEFAULTS[look]
    if countdown is not None:
        base = replace(base, countdown=countdown)
    if pack_style is None:
        return base
    font = float(pack_style.font_scale)
    touch = float(pack_style.touch_scale)
    # Titles grow less than body text so a big look still fits a laptop screen.
    title_scale = 1 + (font - 1) * 0.6
    return replace(
        base,
        background=pack_style.background,
        surface="#FFFFFF",
        text=pack_style.text,
        muted=pack_style.text,
        accent=pack_style.button,
        accent_text=pack_style.button_text,
        secondary=pack_style.accent if look != "older" else "#FFFFFF",
        secondary_text=pack_style.text,
        border=pack_style.text if look == "older" else pack_style.accent,
        title_px=round(_BASE_TITLE * title_scale),
        body_px=round(_BASE_BODY * font),
        button_px=round(_BASE_BUTTON * font),
        button_height=round(_BASE_HEIGHT * touch),
        tile_icon_px=round(_BASE_ICON * touch),
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
