"""The booth's own words in every language: the catalogues are complete and compiled, and the
look-ups switch language, fill named placeholders, choose plural forms and name languages."""

from __future__ import annotations

import gettext
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from booth import i18n

ROOT = Path(__file__).resolve().parent.parent
PYBABEL = Path(sys.executable).parent / "pybabel"
SHIPPED = ("ar", "pl", "ur")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Two of the screens' sentences: one whose placeholders a language may reorder, and one with
# a number that changes its words (Polish has three forms, Arabic six).
QUESTION_OF = "Question {number} of {total}. You do not have to answer."
CHOSEN_BY = ("Chosen by {n} person at this event. Your choices have a ✔.",
             "Chosen by {n} people at this event. Your choices have a ✔.")


@pytest.fixture(autouse=True)
def _english_again() -> Iterator[None]:
    yield
    i18n._current = None
    i18n.catalogue.cache_clear()


def _po(language: str) -> Catalog:
    with i18n.source_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def _template() -> Catalog:
    with i18n.template_path().open("rb") as handle:
        return read_po(handle)


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else str(tuple(message_id))


def _forms(string: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if string is None:
        return ("",)
    return (string,) if isinstance(string, str) else tuple(string)


# --------------------------------------------------------------------------- the catalogues


def test_the_booth_speaks_english_urdu_polish_and_arabic() -> None:
    assert set(i18n.languages()) >= {"en", *SHIPPED}
    assert i18n.languages()[0] == "en"


def test_every_word_the_code_marks_is_in_the_template_and_every_catalogue(
    tmp_path: Path,
) -> None:
    """What a CI check runs: `pybabel extract` with the project's own settings."""
    extracted = tmp_path / "extracted.pot"
    result = subprocess.run([str(PYBABEL), "extract", "--output-file", str(extracted)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with extracted.open("rb") as handle:
        found = [message for message in read_po(handle) if message.id]
    assert {"Prefer not to say", "Somewhere else"} <= {_key(m.id) for m in found}
    template = {_key(message.id) for message in _template() if message.id}
    missing = [_key(m.id) for m in found if _key(m.id) not in template]
    assert not missing, f"not in resources/i18n/booth.pot (run `pybabel extract`): {missing}"
    for language in SHIPPED:
        catalogue = _po(language)
        for message in found:
            translated = catalogue.get(message.id, context=message.context)
            assert translated is not None and all(_forms(translated.string)), \
                f"{language}: no translation of {message.id!r}"


@pytest.mark.parametrize("language", SHIPPED)
def test_a_catalogue_translates_the_whole_template_with_the_same_placeholders(
    language: str,
) -> None:
    catalogue = _po(language)
    assert catalogue.num_plurals == get_plural(language).num_plurals
    for wanted in _template():
        if not wanted.id:
            continue
        message = catalogue.get(wanted.id, context=wanted.context)
        assert message is not None, f"{language}: {wanted.id!r} is missing (pybabel update)"
        assert not message.fuzzy, f"{language}: {wanted.id!r} is marked fuzzy (unchecked)"
        sources = (wanted.id,) if isinstance(wanted.id, str) else tuple(wanted.id)
        forms = _forms(message.string)
        allowed = {name for source in sources for name in PLACEHOLDER.findall(source)}
        for form in forms:
            assert form and form.strip(), f"{language}: {wanted.id!r} has an empty form"
            used = set(PLACEHOLDER.findall(form))
            assert used <= allowed, f"{language}: {form!r} uses {used - allowed}"
            if isinstance(wanted.id, str):
                # A plural form may leave out {n} ("one person"); a sentence may not drop one.
                assert used == allowed, f"{language}: {form!r} drops {allowed - used}"
            assert not re.search(r"[\u0660-\u0669\u06F0-\u06F9]", form), \
                f"{language}: {form!r} should write its numbers in 0-9"


@pytest.mark.parametrize("language", SHIPPED)
def test_the_compiled_catalogue_says_what_its_source_says(language: str) -> None:
    compiled = i18n.compiled_path(language)
    assert compiled.exists(), f"{compiled} is missing: run scripts/setup.sh (pybabel compile)"
    with compiled.open("rb") as handle:
        built = {_key(m.id): _forms(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _forms(m.string) for m in _po(language) if m.id and not m.fuzzy}
    assert built == source, f"{compiled} is out of date: run scripts/setup.sh (pybabel compile)"


# --------------------------------------------------------------------------- look-ups


def test_the_language_switches_at_run_time_and_back() -> None:
    assert i18n.current() == "en"
    assert i18n.tr("Yes, I agree") == "Yes, I agree"
    i18n.use("pl")
    assert i18n.current() == "pl"
    assert i18n.tr("Yes, I agree") == "Tak, zgadzam się"
    i18n.use("ar")
    assert i18n.tr("Yes, I agree") == "نعم، أوافق"
    i18n.use("en")  # the next person starts in the event's language
    assert i18n.tr("Yes, I agree") == "Yes, I agree"


def test_named_placeholders_go_where_the_language_puts_them() -> None:
    i18n.use("ur")
    text = i18n.tr(QUESTION_OF, number=2, total=3)
    assert text == "3 میں سے سوال نمبر 2۔ جواب دینا ضروری نہیں۔"  # Urdu names the total first
    assert i18n.catalogue("en").tr(QUESTION_OF, number=2, total=3) == \
        "Question 2 of 3. You do not have to answer."


def test_polish_has_three_plural_forms() -> None:
    words = i18n.catalogue("pl")
    people = {n: words.trn(*CHOSEN_BY, n)
              for n in (1, 2, 5, 12, 22)}
    assert "1 osoba" in people[1]
    assert "2 osoby" in people[2] and "22 osoby" in people[22]
    assert "5 osób" in people[5] and "12 osób" in people[12]


def test_arabic_has_six_plural_forms() -> None:
    words = i18n.catalogue("ar")
    forms = {n: words.trn(*CHOSEN_BY, n)
             for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(forms.values())) == 6
    assert "شخص واحد" in forms[1] and "شخصان" in forms[2]
    assert "3 أشخاص" in forms[3] and "11 شخصًا" in forms[11]


def test_numbers_stay_in_latin_digits_in_every_language() -> None:
    for language in SHIPPED:
        text = i18n.catalogue(language).tr(QUESTION_OF, number=12, total=30)
        assert "12" in text and "30" in text


@pytest.mark.parametrize(("language", "name", "direction", "font"), [
    ("en", "English", "ltr", None),
    ("pl", "Polski", "ltr", None),
    ("ur", "اردو", "rtl", "Noto Nastaliq Urdu"),
    ("ar", "العربية", "rtl", "Noto Naskh Arabic"),
    ("fa", "فارسی", "rtl", "Noto Naskh Arabic"),  # Arabic script, so Naskh too
])
def test_each_language_is_named_in_its_own_script_with_its_direction_and_font(
    language: str, name: str, direction: str, font: str | None,
) -> None:
    assert i18n.native_name(language) == name
    assert i18n.direction(language) == direction
    assert i18n.font_family(language) == font
    assert font is None or font in i18n.required_fonts()


def test_a_language_without_a_catalogue_is_refused_by_name() -> None:
    with pytest.raises(i18n.UnknownLanguage, match=r"not translated into Somali \(so\)"):
        i18n.use("so")
    assert i18n.current() == "en"
    assert not i18n.has_catalogue("so")
    assert not i18n.is_language_code("xx-nonsense")


def _copy_of_the_catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "i18n"
    shutil.copytree(i18n.catalogue_dir(), root)
    monkeypatch.setattr(i18n, "catalogue_dir", lambda: root)
    i18n.catalogue.cache_clear()
    return root


def _edit(language: str, message_id: str, string: str) -> None:
    catalogue = _po(language)
    catalogue[message_id].string = string
    with i18n.source_path(language).open("wb") as handle:
        write_po(handle, catalogue, width=100)


def test_a_catalogue_edited_after_compiling_is_read_from_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _copy_of_the_catalogues(tmp_path, monkeypatch)
    assert i18n.compiled_path("pl").exists()
    _edit("pl", "No thanks", "Nie, dziękuję bardzo")
    assert i18n.catalogue("pl").tr("No thanks") == "Nie, dziękuję bardzo"
    i18n.compiled_path("pl").unlink()
    i18n.catalogue.cache_clear()
    assert i18n.catalogue("pl").tr("No thanks") == "Nie, dziękuję bardzo"


def test_a_translation_with_a_wrong_placeholder_shows_the_sentence_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    _copy_of_the_catalogues(tmp_path, monkeypatch)
    _edit("pl", "{time} left", "Zostało {czas}")
    with caplog.at_level(logging.ERROR, logger="booth.i18n"):
        text = i18n.catalogue("pl").tr("{time} left", time="0:30")
    assert text == "0:30 left"
    assert "placeholders the booth does not fill" in caplog.text


# --------------------------------------------------------------------------- pseudo-language


def test_pseudo_translation_is_accented_longer_and_bracketed_and_keeps_placeholders() -> None:
    text = i18n.pseudo("You can choose {n}. Untick one.")
    assert text.startswith("[") and text.endswith("]")
    assert "{n}" in text
    assert len(text) > len("You can choose {n}. Untick one.") * 1.3
    assert not any(c.isascii() and c.isalpha() for c in text.replace("{n}", ""))


def test_only_words_in_the_catalogue_are_pseudo_translated() -> None:
    i18n.use(i18n.PSEUDO_LANGUAGE)
    shown = i18n.tr(QUESTION_OF, number=1, total=3)
    assert i18n.is_pseudo(shown) and "1" in shown and "3" in shown
    assert i18n.is_pseudo(i18n.N_("Prefer not to say")) is False  # marking alone is no look-up
    assert i18n.is_pseudo(i18n.tr("Prefer not to say"))
    stray = i18n.tr("A sentence nobody put in the catalogue")
    assert stray == "A sentence nobody put in the catalogue"
    assert not i18n.is_pseudo(stray)


@pytest.mark.parametrize(("text", "pseudo"), [
    ("[Ñéẋţ ~~]", True),
    ("[Ŷöûŕ çöðé ~~] AB7-K2", False),  # a code outside the sentence: not through the layer
    ("[Ŷöûŕ çöðé ïš AB7-K2 ~~]", True),  # a code filled into a placeholder: fine
    ("3", True),
    ("🙂", True),
    ("Next", False),
    ("<b>[Ñéẋţ ~~]</b>", True),
    ("اردو", True),
])
def test_pseudo_detection(text: str, pseudo: bool) -> None:
    assert i18n.is_pseudo(text) is pseudo


def test_gettext_reads_the_compiled_catalogues_too() -> None:
    """The .mo files are ordinary gettext: any gettext reader shows the same words."""
    translation = gettext.translation(i18n.DOMAIN, str(i18n.catalogue_dir()), ["pl"])
    assert translation.gettext("Next") == i18n.catalogue("pl").tr("Next")
