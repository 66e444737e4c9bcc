"""The kiosk's own words in the participant's language: gettext catalogues (made with Babel),
the current language, named placeholders, plurals, and each language's direction, font and
own name.

The booth's fixed words are English in the code, marked for extraction with ``tr``, ``trn``
(plurals), ``trc`` (a word whose meaning needs a context) or ``N_`` (marked here, translated
where it is shown). ``pybabel extract`` collects them into ``resources/i18n/booth.pot``,
translators work on ``resources/i18n/<language>/LC_MESSAGES/booth.po``, and
``scripts/setup.sh`` compiles those to ``booth.mo`` (docs/translations.md).

Placeholders are named, never positional: ``tr("{n} of {limit} chosen", n=2, limit=3)``, so a
translator can put them in whatever order the language needs. Numbers are always written in
Latin digits (Python's own formatting), which is also what the booth's reference codes use.

One person at a time uses the kiosk, so the current language is one setting here: ``use()``
switches it (the screens then draw their words again) and the next person starts in the
event's default language. Nothing here imports Qt: the journey and the campaign pack use it
too, and tests run it without a window.
"""

from __future__ import annotations

import gettext
import io
import logging
import re
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.core import get_global

log = logging.getLogger(__name__)

#: The gettext domain: resources/i18n/<language>/LC_MESSAGES/booth.po (and .mo).
DOMAIN = "booth"
#: The language the booth's own words are written in: the catalogues' message ids.
SOURCE_LANGUAGE = "en"
#: A made-up language for tests: every catalogued message accented, lengthened and in
#: [brackets] (see ``pseudo``), so a word that did not go through the catalogue stands out in
#: plain ASCII. "qps" lies in ISO 639's range kept for local use (qaa to qtz), so no real
#: language will ever have this code.
PSEUDO_LANGUAGE = "qps"

Direction = Literal["ltr", "rtl"]

#: Fonts for scripts the look's own font (DejaVu Sans) cannot set well, from Debian's
#: fonts-noto-core (scripts/setup.sh installs it, booth.spec ships the files). Arabic script
#: is joined and shaped by HarfBuzz only with a font that has its contextual forms.
_SCRIPT_FONTS: Mapping[str, str] = {"Arab": "Noto Naskh Arabic"}
#: Urdu is read in Nastaliq, the hanging style Urdu print uses, not in Naskh.
_LANGUAGE_FONTS: Mapping[str, str] = {"ur": "Noto Nastaliq Urdu"}


def N_(message: str) -> str:  # gettext's own name for "mark only"
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


class UnknownLanguage(LookupError):
    """The booth has no catalogue of its own words for this language."""


def catalogue_dir() -> Path:
    """Where the catalogues live: resources/i18n in a source checkout or a frozen build."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources" / "i18n"
    return Path(__file__).resolve().parent.parent / "resources" / "i18n"


def source_path(language: str) -> Path:
    """The catalogue translators edit (``.po``)."""
    return catalogue_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compiled_path(language: str) -> Path:
    """The catalogue ``pybabel compile`` builds from it (``.mo``; never committed)."""
    return catalogue_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def template_path() -> Path:
    """The template ``pybabel extract`` writes: every message the booth can show."""
    return catalogue_dir() / f"{DOMAIN}.pot"


def languages() -> tuple[str, ...]:
    """The booth's own words exist in these: English, then each catalogue, sorted by code."""
    root = catalogue_dir()
    found = sorted(
        path.name for path in root.iterdir()
        if path.is_dir() and (source_path(path.name).exists() or compiled_path(path.name).exists())
    ) if root.is_dir() else []
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


def has_catalogue(language: str) -> bool:
    """True when the booth's own words can be shown in ``language``."""
    return language in languages() or language == PSEUDO_LANGUAGE


# --------------------------------------------------------------------------- catalogues


class Catalogue:
    """One language's words: look-ups with named placeholders and plurals."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def tr(self, message: str, /, **values: object) -> str:
        """``message`` in this language, with ``{name}`` placeholders filled from ``values``."""
        return self._format(self._translations.gettext(message), message, values)

    def trn(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The form for ``n`` (Polish has three, Arabic six); ``{n}`` is the number."""
        values = {"n": n, **values}
        return self._format(self._translations.ngettext(singular, plural, n),
                            singular if n == 1 else plural, values)

    def trc(self, context: str, message: str, /, **values: object) -> str:
        """``message`` as meant in ``context`` (a short word that can mean two things)."""
        return self._format(self._translations.pgettext(context, message), message, values)

    def _format(self, text: str, source: str, values: Mapping[str, object]) -> str:
        try:
            return text.format_map(values)
        except (KeyError, IndexError, ValueError):
            # The catalogue test refuses such a translation; if one reaches an event anyway,
            # the person still gets the sentence (in English) rather than a broken screen.
            log.error("the %s translation of %r has placeholders the booth does not fill: %r",
                      self.language, source, text)
            return source.format_map(values)


@cache
def catalogue(language: str) -> Catalogue:
    """The booth's words in ``language``. Raises :class:`UnknownLanguage` when there are none.

    Reads the compiled ``.mo``; when it is missing or older than its ``.po`` (a checkout
    where ``scripts/setup.sh`` has not run since a translator's edit), reads the ``.po``
    itself, so what is shown is always what the translator wrote.
    """
    if language == SOURCE_LANGUAGE:
        return Catalogue(language, gettext.NullTranslations())
    if language == PSEUDO_LANGUAGE:
        return Catalogue(language, _pseudo_translations())
    source, compiled = source_path(language), compiled_path(language)
    if compiled.exists() and (
        not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        with compiled.open("rb") as handle:
            return Catalogue(language, gettext.GNUTranslations(handle))
    if source.exists():
        log.info("reading %s directly: it is not compiled, or was edited after compiling",
                 source)
        return Catalogue(language, _translations_from_po(source, language))
    raise UnknownLanguage(
        f"the booth's own words are not translated into {english_name(language)} "
        f"({language}); it has {', '.join(languages())} (see docs/translations.md)"
    )


def _translations_from_po(path: Path, language: str | None) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, po)  # leaves out fuzzy (unchecked) translations, as pybabel compile does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _pseudo_translations() -> gettext.GNUTranslations:
    """Every message in the template, pseudo-translated: only extracted words change."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with template_path().open("rb") as handle:
        po = read_po(handle)
    for message in po:
        if not message.id:
            continue
        if isinstance(message.id, str):
            message.string = pseudo(message.id)
        else:  # singular and plural
            message.string = tuple(pseudo(form) for form in message.id)
    compiled = io.BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# --------------------------------------------------------------------------- current language

_current: Catalogue | None = None


def use(language: str) -> Catalogue:
    """Show the booth's words in ``language`` from now on (the next person's choice)."""
    global _current
    _current = catalogue(language)
    return _current


def current() -> str:
    """The language the booth's words are shown in now."""
    return _current.language if _current is not None else SOURCE_LANGUAGE


def _now() -> Catalogue:
    return _current if _current is not None else catalogue(SOURCE_LANGUAGE)


def tr(message: str, /, **values: object) -> str:
    """``message`` in the current language, placeholders filled: ``tr("Hi {name}", name=x)``."""
    return _now().tr(message, **values)


def trn(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The current language's form for ``n``: ``trn("{n} person", "{n} people", n)``."""
    return _now().trn(singular, plural, n, **values)


def trc(context: str, message: str, /, **values: object) -> str:
    """``message`` in the current language as meant in ``context``."""
    return _now().trc(context, message, **values)


# --------------------------------------------------------------------------- languages


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise UnknownLanguage(f"{language!r} is not a language code the booth knows") from error


def is_language_code(language: str) -> bool:
    """True for a code CLDR knows (``ur``, ``pl``, ``pt_BR``) or the pseudo-language."""
    if language == PSEUDO_LANGUAGE:
        return True
    try:
        _locale(language)
    except UnknownLanguage:
        return False
    return True


def native_name(language: str) -> str:
    """The language's name in its own script, as a person looks for it: "اردو", "Polski"."""
    if language == PSEUDO_LANGUAGE:
        return pseudo("Pseudo")
    name = _locale(language).get_display_name(language) or language
    # CLDR writes some names in lower case ("polski") as they are inside a sentence; on a
    # button standing alone they begin with a capital. Scripts without case are unchanged.
    return name[:1].upper() + name[1:]


def english_name(language: str) -> str:
    """The language's English name, for the officer and error messages: "Urdu"."""
    if language == PSEUDO_LANGUAGE:
        return "pseudo-language"
    try:
        return _locale(language).get_display_name(SOURCE_LANGUAGE) or language
    except UnknownLanguage:
        return language


def direction(language: str) -> Direction:
    """Which way the language is read: "rtl" for Urdu and Arabic, "ltr" otherwise."""
    if language == PSEUDO_LANGUAGE:
        return "ltr"
    return "rtl" if _locale(language).text_direction == "rtl" else "ltr"


def script(language: str) -> str:
    """The language's usual script (ISO 15924: "Arab", "Latn"), from CLDR's likely subtags."""
    if language == PSEUDO_LANGUAGE:
        return "Latn"
    locale = _locale(language)
    if locale.script:
        return locale.script
    likely: Mapping[str, str] = get_global("likely_subtags")
    parts = likely.get(locale.language, "").split("_")
    return parts[1] if len(parts) > 1 else "Latn"


def font_family(language: str) -> str | None:
    """The font the language needs, or None where the look's own font serves."""
    if language in _LANGUAGE_FONTS:
        return _LANGUAGE_FONTS[language]
    return _SCRIPT_FONTS.get(script(language))


def required_fonts() -> tuple[str, ...]:
    """Every font family ``font_family`` can name (booth.spec ships these)."""
    return tuple(sorted({*_SCRIPT_FONTS.values(), *_LANGUAGE_FONTS.values()}))


# --------------------------------------------------------------------------- pseudo-language

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "àƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
_ACCENT = str.maketrans(_PLAIN, _ACCENTED)
# What pseudo-translation leaves alone: placeholders, markup and entities.
_KEEP = re.compile(r"(\{[^{}]*\}|<[^<>]*>|&[#\w]+;)")
_BRACKETED = re.compile(r"\[[^\[\]]*\]")
_MARKUP = re.compile(r"<[^<>]*>|&[#\w]+;")
# Other languages run longer than English (German and Polish by a third or more): the padding
# shows where a screen would cut them off.
_LONGER_BY = 0.4


def pseudo(text: str) -> str:
    """``text`` in the pseudo-language: "[Ŵĥåţ ðö ýöû ļöṽé? ~~~~]"."""
    parts = _KEEP.split(text)
    accented = "".join(part if index % 2 else part.translate(_ACCENT)
                       for index, part in enumerate(parts))
    letters = sum(ch.isalpha() for index, part in enumerate(parts) if not index % 2
                  for ch in part)
    padding = "~" * max(1, round(letters * _LONGER_BY))
    return f"[{accented} {padding}]"


def is_pseudo(text: str) -> bool:
    """True when no plain ASCII letter is left outside a pseudo-translated [...] part: the
    text went through the catalogue (digits, codes inside a placeholder and emoji are fine)."""
    previous = None
    while previous != text:
        previous, text = text, _BRACKETED.sub("", text)
    text = _MARKUP.sub("", text)
    return not any(ch.isascii() and ch.isalpha() for ch in text)
