"""The campaign pack's model: prompts, priority lists, about-you questions, consent, theme,
and the languages its words are in."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from booth.i18n import (
    N_,
    PSEUDO_LANGUAGE,
    SOURCE_LANGUAGE,
    english_name,
    has_catalogue,
    is_language_code,
    languages,
    pseudo,
)

Audience = Literal["child", "adult", "older", "all"]
Look = Literal["child", "adult", "older"]
LOOKS: tuple[Look, ...] = ("child", "adult", "older")

#: The newest pack format this booth reads. Older formats are upgraded on load when one exists.
FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS: frozenset[int] = frozenset({1})

#: Added by the loader to every about-you question; never written in the pack itself.
PREFER_NOT_TO_SAY_ID = "prefer_not_to_say"
# Translators: an answer the booth adds to every about-you question.
PREFER_NOT_TO_SAY_LABEL = N_("Prefer not to say")
#: Added to the question whose answers come from the pack's ``areas`` list.
SOMEWHERE_ELSE_ID = "somewhere_else"
# Translators: an answer the booth adds to "where do you live?" questions, after the areas.
SOMEWHERE_ELSE_LABEL = N_("Somewhere else")

#: Consent text may say ``{retention_days}``; the loader puts the pack's number in.
RETENTION_PLACEHOLDER = "{retention_days}"

ID_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
#: A language as the pack names it, and as its translation file is named: "ur", "pt_BR".
LANGUAGE_PATTERN = r"^[a-z]{2,3}(_[A-Z]{2})?$"
COLOUR_PATTERN = r"^#[0-9A-Fa-f]{6}$"

# Minimum contrast (WCAG 2 ratio) between text and what it sits on. AA for everyone,
# AAA for the older look, which promises very large, high-contrast text.
_MIN_CONTRAST = 4.5
_MIN_CONTRAST_OLDER = 7.0


def printable(text: str) -> str:
    """``text`` with line breaks and other invisible characters written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)

def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"

def shown(value: Any) -> str:
    if isinstance(value, str):
        shown = printable(value)
        return f"'{shown[:60]}...'" if len(shown) > 60 else f"'{shown}'"
    if isinstance(value, (list, dict)):
        return describe(value)
    return repr(value)

def check_format_version(value: int) -> None:
    if value in SUPPORTED_FORMAT_VERSIONS:
        return
    if value > FORMAT_VERSION:
        raise ValueError(
            f"this pack was made for a newer booth (format {value}); this booth reads "
            f"format {FORMAT_VERSION}. Update the booth, or use a pack made for format "
            f"{FORMAT_VERSION}"
        )
    raise ValueError(
        f"{value} is not a pack format this booth knows (it reads format {FORMAT_VERSION})"
    )


class FieldProblem(ValueError):
    """A cross-field check that knows which field (below the model being checked) is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


class _Model(BaseModel):
    # strict: TOML already gives real numbers, lists and true/false, so "60" in quotes for a
    # number is a mistake worth naming rather than silently converting.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, str_strip_whitespace=True)


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=40)]


def _one_picture(value: str) -> str:
    if any(c.isspace() or (c.isascii() and c.isalpha()) for c in value):
        raise ValueError(f"{shown(value)} should be one emoji picture, like \"🌳\", not words")
    return value


# One colour emoji (several code points for some, e.g. with U+FE0F or joiners).
Icon = Annotated[str, StringConstraints(min_length=1, max_length=16), AfterValidator(_one_picture)]


def _default_spoken(data: Any, source: str) -> Any:
    """Fill ``spoken`` from ``source`` (the display text) when the pack leaves it out."""
    if isinstance(data, dict) and "spoken" not in data and isinstance(data.get(source), str):
        return {**data, "spoken": data[source]}
    return data


def _unique(ids: Iterable[str], what: str, field: str) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(ids):
        if value in seen:
            raise FieldProblem(
                f"{field}[{index}].id",
                f"the {what} id '{value}' is already used by {field}[{seen[value]}]; "
                "every id must be different",
            )
        seen[value] = index


def _covers(audience: Iterable[Audience], look: Look) -> bool:
    return any(a == look or a == "all" for a in audience)


class Prompt(_Model):
    """A question the participant answers on video."""

    id: Id
    text: str = Field(min_length=1, max_length=200)
    spoken: str = Field(min_length=1, max_length=500)
    audience: list[Audience] = Field(min_length=1)
    icon: Icon | None = None
    max_seconds: int = Field(ge=5, le=600)

    @model_validator(mode="before")
    @classmethod
    def _spoken_defaults_to_text(cls, data: Any) -> Any:
        return _default_spoken(data, "text")


class PriorityItem(_Model):
    """One tick box in a priority list."""

    id: Id
    label: str = Field(min_length=1, max_length=80)
    spoken: str | None = Field(default=None, min_length=1, max_length=300)
    icon: Icon | None = None

    @property
    def spoken_text(self) -> str:
        """What the booth reads aloud for this item: ``spoken``, or the label."""
        return self.spoken if self.spoken is not None else self.label


class PriorityList(_Model):
    """The list a participant ticks their priorities from (up to ``max_ticks``)."""

    id: Id
    title: str = Field(min_length=1, max_length=200)
    spoken: str = Field(min_length=1, max_length=500)
    audience: list[Audience] = Field(min_length=1)
    max_ticks: int = Field(ge=1)
    items: list[PriorityItem] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _spoken_defaults_to_title(cls, data: Any) -> Any:
        return _default_spoken(data, "title")

    @model_validator(mode="after")
    def _check(self) -> PriorityList:
        _unique((item.id for item in self.items), "item", "items")
        pictures: dict[str, int] = {}
        for index, item in enumerate(self.items):
            if item.icon is None:
                continue
            if item.icon in pictures:
                raise FieldProblem(
                    f"items[{index}].icon",
                    f"{item.icon} is already the picture for items[{pictures[item.icon]}]; "
                    "children choose by the pictures, so each item needs its own",
                )
            pictures[item.icon] = index
        if self.max_ticks > len(self.items):
            raise FieldProblem(
                "max_ticks",
                f"{self.max_ticks} is more than the {len(self.items)} items in the list; "
                f"it must be between 1 and {len(self.items)}",
            )
        return self


class AnswerOption(_Model):
    """One answer to an about-you question."""

    id: Id
    label: str = Field(min_length=1, max_length=80)


class AboutYouQuestion(_Model):
    """An optional question about the participant (age band, area).

    The loader appends "Prefer not to say" to every question, and for a question with
    ``use_areas = true`` the pack's ``areas`` and "Somewhere else" before it.
    """

    id: Id
    text: str = Field(min_length=1, max_length=200)
    spoken: str = Field(min_length=1, max_length=500)
    audience: list[Audience] = Field(min_length=1)
    use_areas: bool = False
    options: list[AnswerOption] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _spoken_defaults_to_text(cls, data: Any) -> Any:
        return _default_spoken(data, "text")

    @model_validator(mode="after")
    def _check(self) -> AboutYouQuestion:
        _unique((option.id for option in self.options), "answer", "options")
        added = (PREFER_NOT_TO_SAY_ID, SOMEWHERE_ELSE_ID)
        if not any(option.id not in added for option in self.options):
            raise FieldProblem(
                "options", "the question has no answers to choose from; add options "
                "(or areas, when it has use_areas = true)"
            )
        return self


class ConsentWording(_Model):
    """What a participant (or, for a child, the adult with them) agrees to before recording."""

    text: str = Field(min_length=1, max_length=2000)
    spoken: str = Field(min_length=1, max_length=2000)
    adult_confirmation: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _spoken_defaults_to_text(cls, data: Any) -> Any:
        return _default_spoken(data, "text")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


Colour = Annotated[str, StringConstraints(pattern=COLOUR_PATTERN)]


class LookTheme(_Model):
    """The council's colours (``#RRGGBB``) and size factors for one look: a
    ``[theme.<look>]`` table of the pack. The kiosk draws the look from them
    (``booth.ui.looks.look_style``)."""

    background: Colour
    text: Colour
    accent: Colour
    button: Colour
    button_text: Colour
    font_scale: float = Field(ge=0.75, le=3.0)
    touch_scale: float = Field(ge=0.75, le=3.0)


class Theme(_Model):
    """The pack's theme: a name and the colours and sizes of each of the three looks."""

    name: str = Field(min_length=1, max_length=80)
    child: LookTheme
    adult: LookTheme
    older: LookTheme

    def for_look(self, look: Look) -> LookTheme:
        theme: LookTheme = getattr(self, look)
        return theme

    @model_validator(mode="after")
    def _check_contrast(self) -> Theme:
        for look in LOOKS:
            theme = self.for_look(look)
            needed = _MIN_CONTRAST_OLDER if look == "older" else _MIN_CONTRAST
            for fore, back in (("text", "background"), ("button_text", "button")):
                ratio = contrast_ratio(getattr(theme, fore), getattr(theme, back))
                if ratio < needed:
                    raise FieldProblem(
                        f"{look}.{fore}",
                        f"{getattr(theme, fore)} on {getattr(theme, back)} is too hard to read "
                        f"(contrast {ratio:.1f} to 1, needs at least {needed:g} to 1)",
                    )
        return self


class IdleTime(_Model):
    """How long the booth waits before asking "are you still there?", then for an answer."""

    idle_seconds: int = Field(ge=10, le=900)
    still_there_seconds: int = Field(ge=5, le=300)


class IdleTimes(_Model):
    """Idle times for each look (older people get longer)."""

    child: IdleTime
    adult: IdleTime
    older: IdleTime

    def for_look(self, look: Look) -> IdleTime:
        idle: IdleTime = getattr(self, look)
        return idle


def _all_looks(value: Container[str], what: str) -> None:
    for look in LOOKS:
        if look not in value:
            raise FieldProblem(look, f"{what} for the '{look}' look is missing")


class CampaignPack(_Model):
    """A validated campaign pack. Build one with :func:`load_pack`."""

    format_version: int
    id: Id
    name: str = Field(min_length=1, max_length=80)
    council: str = Field(min_length=1, max_length=120)
    #: The languages a person can choose; the first is the one this file is written in.
    #: Each other language has its own file beside the pack (one_stockport.ur.toml).
    languages: list[str] = Field(default_factory=lambda: [SOURCE_LANGUAGE], min_length=1)
    #: The language each new person starts in (the first of ``languages`` unless set).
    default_language: str
    campaign_themes: list[str] = Field(default_factory=list)
    retention_days: int = Field(ge=1, le=3650)
    max_take_seconds: int = Field(ge=5, le=600)
    areas: list[str] = Field(default_factory=list)
    countdown_seconds: dict[Look, int]
    idle: IdleTimes
    theme: Theme
    consent: dict[Look, ConsentWording]
    prompts: list[Prompt] = Field(min_length=1)
    priority_lists: list[PriorityList] = Field(min_length=1)
    about_you: list[AboutYouQuestion] = Field(default_factory=list)

    _path: Path = PrivateAttr(default=Path("<memory>"))
    _digest: str = PrivateAttr(default="")
    # A pack in one language is a "view": the same pack with its words translated. The pack
    # the loader returns is the view in its file's own language and holds the others.
    _language: str = PrivateAttr(default="")
    _views: dict[str, CampaignPack] = PrivateAttr(default_factory=dict)
    _base: CampaignPack | None = PrivateAttr(default=None)
    _texts: dict[str, str] | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path:
        """The file this pack was loaded from."""
        return self._path

    @property
    def digest(self) -> str:
        """sha256 (hex) of the file's bytes: which exact pack a session was recorded with."""
        return self._digest

    @field_validator("format_version")
    @classmethod
    def _known_format(cls, value: int) -> int:
        check_format_version(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_language_is_the_first(cls, data: Any) -> Any:
        if isinstance(data, dict) and "default_language" not in data:
            chosen = data.get("languages", [SOURCE_LANGUAGE])
            if isinstance(chosen, list) and chosen and isinstance(chosen[0], str):
                return {**data, "default_language": chosen[0]}
        return data

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        seen: dict[str, int] = {}
        for index, code in enumerate(value):
            if (not re.fullmatch(LANGUAGE_PATTERN, code) or code == PSEUDO_LANGUAGE
                    or not is_language_code(code)):
                raise FieldProblem(
                    f"[{index}]", f"{shown(code)} is not a language code; write codes like "
                    "'en' (English), 'ur' (Urdu), 'pl' (Polish) or 'ar' (Arabic)"
                )
            if code in seen:
                raise FieldProblem(f"[{index}]", f"'{code}' is in the list twice")
            seen[code] = index
            if not has_catalogue(code):
                raise FieldProblem(
                    f"[{index}]",
                    f"the booth's own words (its buttons and instructions) are not translated "
                    f"into {english_name(code)} ('{code}'); it has "
                    f"{', '.join(languages())}. See docs/translations.md",
                )
        return value

    @model_validator(mode="after")
    def _default_is_offered(self) -> CampaignPack:
        if self.default_language not in self.languages:
            raise FieldProblem(
                "default_language",
                f"{shown(self.default_language)} is not one of the pack's languages "
                f"({', '.join(self.languages)})",
            )
        return self

    @field_validator("campaign_themes", "areas")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for index, name in enumerate(value):
            if not name.strip():
                raise FieldProblem(f"[{index}]", "an empty name; write a name or remove it")
            if len(name) > 80:
                raise FieldProblem(f"[{index}]", "is longer than 80 characters")
            key = name.casefold()
            if key in seen:
                raise FieldProblem(f"[{index}]", f"{shown(name)} is in the list twice")
            seen.add(key)
        return value

    @field_validator("countdown_seconds")
    @classmethod
    def _countdowns(cls, value: dict[Look, int]) -> dict[Look, int]:
        _all_looks(value, "the countdown")
        for look, seconds in value.items():
            if not 0 <= seconds <= 10:
                raise FieldProblem(look, f"{seconds} must be between 0 (no countdown) and 10")
        return value

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: dict[Look, ConsentWording]) -> dict[Look, ConsentWording]:
        _all_looks(value, "the consent wording")
        if value["child"].adult_confirmation is None:
            raise FieldProblem(
                "child.adult_confirmation",
                "children need a line for the adult to confirm, "
                "e.g. 'A teacher or parent has said yes'",
            )
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> CampaignPack:
        _unique((p.id for p in self.prompts), "prompt", "prompts")
        _unique((p.id for p in self.priority_lists), "priority list", "priority_lists")
        _unique((q.id for q in self.about_you), "question", "about_you")
        for index, prompt in enumerate(self.prompts):
            if prompt.max_seconds > self.max_take_seconds:
                raise FieldProblem(
                    f"prompts[{index}].max_seconds",
                    f"{prompt.max_seconds} seconds is longer than max_take_seconds "
                    f"({self.max_take_seconds})",
                )
        for look in LOOKS:
            if not self.prompts_for(look):
                raise FieldProblem(
                    "prompts", f"no prompt is for the '{look}' look; add '{look}' or 'all' "
                    "to the audience of at least one prompt"
                )
            lists = [i for i, p in enumerate(self.priority_lists) if _covers(p.audience, look)]
            if not lists:
                raise FieldProblem(
                    "priority_lists", f"no priority list is for the '{look}' look; "
                    "each look needs exactly one"
                )
            if len(lists) > 1:
                raise FieldProblem(
                    f"priority_lists[{lists[1]}].audience",
                    f"the '{look}' look has {len(lists)} priority lists "
                    f"({', '.join(self.priority_lists[i].id for i in lists)}); "
                    "each look needs exactly one",
                )
        return self

    def prompts_for(self, look: Look) -> list[Prompt]:
        """The prompts offered to this look, in pack order."""
        return [p for p in self.prompts if _covers(p.audience, look)]

    def priority_list_for(self, look: Look) -> PriorityList:
        """The one priority list this look ticks from."""
        return next(p for p in self.priority_lists if _covers(p.audience, look))

    def about_you_for(self, look: Look) -> list[AboutYouQuestion]:
        """The about-you questions asked of this look, in pack order (may be empty)."""
        return [q for q in self.about_you if _covers(q.audience, look)]

    def consent_for(self, look: Look) -> ConsentWording:
        """The consent wording shown to this look."""
        return self.consent[look]

    def countdown_for(self, look: Look) -> int:
        """Seconds of "get ready" countdown before recording (0: none, start when ready)."""
        return self.countdown_seconds[look]

    def idle_for(self, look: Look) -> IdleTime:
        """The idle times for this look."""
        return self.idle.for_look(look)

    def theme_for(self, look: Look) -> LookTheme:
        """The colours and size factors for this look."""
        return self.theme.for_look(look)

    # ------------------------------------------------------------------ languages

    @property
    def language(self) -> str:
        """The language this pack's words are in (see :meth:`in_language`)."""
        return self._language or self.languages[0]

    def in_language(self, language: str) -> CampaignPack:
        """This pack with every word a person sees or hears in ``language``: prompts, lists,
        about-you questions and answers, consent and areas (ids, pictures and settings stay
        the same). Every language of the pack was checked complete when it loaded; a
        language it does not have raises ``LookupError``, never a quiet English fallback.
        :data:`booth.i18n.PSEUDO_LANGUAGE` gives every word pseudo-translated, for tests."""
        base = self._base or self
        if language == base.language:
            return base
        view = base._views.get(language)
        if view is None and language == PSEUDO_LANGUAGE:
            view = base._views[language] = _pseudo_view(base)
        if view is None:
            raise LookupError(
                f"the campaign pack '{self.id}' is not in {english_name(language)} "
                f"({language}); it has {', '.join(self.languages)}"
            )
        return view

    def text(self, key: str, language: str | None = None) -> str:
        """One word or sentence by its key (the key a translation file uses, such as
        ``prompts.love.text`` or ``about_you.area.options.bramhall``), in ``language`` or
        this view's. An unknown key is a ``KeyError``: the caller asked for something the
        pack does not have."""
        view = self.in_language(language) if language is not None else self
        texts = view.texts()
        if key not in texts:
            raise KeyError(f"the campaign pack '{self.id}' has no text '{key}'")
        return texts[key]

    def texts(self) -> dict[str, str]:
        """Every word of the pack a person sees or hears, in this view's language, by key."""
        if self._texts is None:
            self._texts = _texts_of(self)
        return dict(self._texts)


def texts_key(*parts: str) -> str:
    """The key of a pack text: ``texts_key("prompts", "love", "text")``."""
    return ".".join(parts)


def _texts_of(pack: CampaignPack) -> dict[str, str]:
    base = pack._base or pack
    texts = {"name": pack.name}
    for look, wording in pack.consent.items():
        texts[texts_key("consent", look, "text")] = wording.text
        texts[texts_key("consent", look, "spoken")] = wording.spoken
        if wording.adult_confirmation is not None:
            texts[texts_key("consent", look, "adult_confirmation")] = wording.adult_confirmation
    for prompt in pack.prompts:
        texts[texts_key("prompts", prompt.id, "text")] = prompt.text
        texts[texts_key("prompts", prompt.id, "spoken")] = prompt.spoken
    for plist in pack.priority_lists:
        texts[texts_key("priority_lists", plist.id, "title")] = plist.title
        texts[texts_key("priority_lists", plist.id, "spoken")] = plist.spoken
        for item in plist.items:
            texts[texts_key("priority_lists", plist.id, "items", item.id, "label")] = item.label
            texts[texts_key("priority_lists", plist.id, "items", item.id, "spoken")] = (
                item.spoken_text)
    for question in pack.about_you:
        texts[texts_key("about_you", question.id, "text")] = question.text
        texts[texts_key("about_you", question.id, "spoken")] = question.spoken
        for option in question.options:
            texts[texts_key("about_you", question.id, "options", option.id)] = option.label
    for english, shown_name in zip(base.areas, pack.areas, strict=True):
        texts[texts_key("areas", area_id(english))] = shown_name
    return texts


def area_id(name: str) -> str:
    """The id an area's answer is stored under: its name in the pack's own language, as a
    slug ("Cheadle Hulme" is ``cheadle_hulme``), the same in every language."""
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_") or "area"


# The fields that hold words a person sees or hears (LookTheme.text is a colour: the walk
# below never goes into the theme).
_WORD_FIELDS = frozenset({"text", "spoken", "label", "title", "adult_confirmation"})


def _with_words(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, BaseModel):
        updates = {
            name: change(field) if name in _WORD_FIELDS and isinstance(field, str)
            else _with_words(field, change)
            for name in type(value).model_fields
            if isinstance(field := getattr(value, name), (str, BaseModel, list, dict))
        }
        return value.model_copy(update=updates)
    if isinstance(value, list):
        return [_with_words(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _with_words(item, change) for key, item in value.items()}
    return value


def _pseudo_view(base: CampaignPack) -> CampaignPack:
    """Every word pseudo-translated, without checking lengths again: it is for tests only."""
    view = base.model_copy(update={
        "name": pseudo(base.name),
        "areas": [pseudo(area) for area in base.areas],
        **{field: _with_words(getattr(base, field), pseudo)
           for field in ("consent", "prompts", "priority_lists", "about_you")},
    })
    view._language = PSEUDO_LANGUAGE
    view._views = {}
    view._base = base
    view._texts = None
    return view

