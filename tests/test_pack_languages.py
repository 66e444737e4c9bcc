"""A campaign pack in several languages: the One Stockport pack in English, Urdu, Polish and
Arabic, translation files that must say everything the pack says, and the file a translator
is sent."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booth import i18n
from booth.pack import (
    LOOKS,
    PREFER_NOT_TO_SAY_ID,
    SOMEWHERE_ELSE_ID,
    CampaignPack,
    PackError,
    area_id,
    default_pack_path,
    load_pack,
    pack_from_toml,
    translation_file,
    translation_path,
)
from booth.pack.translations import toml_string

DEFAULT = default_pack_path()
ROOT = Path(__file__).resolve().parent.parent
OTHERS = ("ur", "pl", "ar")
LATIN = re.compile(r"[A-Za-z]")
OTHER_DIGITS = re.compile(r"[\u0660-\u0669\u06F0-\u06F9]")


@pytest.fixture(scope="module")
def pack() -> CampaignPack:
    return load_pack(DEFAULT)


def _copy(tmp_path: Path) -> Path:
    """The shipped pack and its translation files, in a folder a test may change."""
    folder = tmp_path / "packs"
    shutil.copytree(DEFAULT.parent, folder)
    return folder / DEFAULT.name


def _change(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(path: Path) -> PackError:
    with pytest.raises(PackError) as caught:
        load_pack(path)
    assert not caught.value.unexpected, str(caught.value)
    return caught.value


# --------------------------------------------------------------------------- the shipped pack


def test_the_one_stockport_pack_is_in_english_urdu_polish_and_arabic(
    pack: CampaignPack,
) -> None:
    assert pack.languages == ["en", "ur", "pl", "ar"]
    assert pack.default_language == "en" and pack.language == "en"
    for language in pack.languages:
        assert pack.in_language(language).language == language
    assert pack.in_language("en") is pack


@pytest.mark.parametrize("language", ["ur", "ar"])
def test_urdu_and_arabic_say_every_word_in_their_own_script(
    pack: CampaignPack, language: str,
) -> None:
    for key, text in pack.in_language(language).texts().items():
        assert not LATIN.search(text), f"{language} {key}: {text!r} still has Latin letters"


@pytest.mark.parametrize("language", OTHERS)
def test_every_language_says_everything_and_keeps_ids_pictures_and_settings(
    pack: CampaignPack, language: str,
) -> None:
    view = pack.in_language(language)
    english, translated = pack.texts(), view.texts()
    assert translated.keys() == english.keys()
    changed = sum(translated[key] != english[key] for key in english)
    assert changed > len(english) * 0.8  # Polish keeps most place names as they are
    for key, text in translated.items():
        assert not OTHER_DIGITS.search(text), f"{language} {key}: digits should be 0-9"
        assert "{" not in text, f"{language} {key}: a placeholder was not filled"

    def shape(p: CampaignPack) -> object:
        dump = p.model_dump()
        return (
            [(x["id"], x["icon"], x["audience"], x["max_seconds"]) for x in dump["prompts"]],
            [(x["id"], x["max_ticks"], [(i["id"], i["icon"]) for i in x["items"]])
             for x in dump["priority_lists"]],
            [(x["id"], [o["id"] for o in x["options"]]) for x in dump["about_you"]],
            dump["theme"], dump["idle"], dump["countdown_seconds"], dump["retention_days"],
        )

    assert shape(view) == shape(pack)  # answers in any language count together


@pytest.mark.parametrize("language", OTHERS)
def test_consent_says_how_long_answers_are_kept_in_every_language(
    pack: CampaignPack, language: str,
) -> None:
    # The child consent says "later, they will delete it" in words a five-year-old
    # follows; the others give the number of days, in every language.
    for look in LOOKS:
        wording = pack.in_language(language).consent_for(look)
        english = pack.consent_for(look)
        assert (str(pack.retention_days) in wording.text) == (
            str(pack.retention_days) in english.text)
        assert wording.spoken and wording.spoken != english.spoken
    assert all(str(pack.retention_days) in pack.in_language(language).consent_for(look).text
               for look in ("adult", "older"))
    assert pack.in_language(language).consent_for("child").adult_confirmation


def test_the_answers_the_booth_adds_are_in_the_persons_language(pack: CampaignPack) -> None:
    for language in pack.languages:
        words = i18n.catalogue(language)
        area = next(q for q in pack.in_language(language).about_you if q.id == "area")
        labels = {option.id: option.label for option in area.options}
        assert labels[PREFER_NOT_TO_SAY_ID] == words.tr("Prefer not to say")
        assert labels[SOMEWHERE_ELSE_ID] == words.tr("Somewhere else")
        # An area's answer has the same id in every language.
        assert [o.id for o in area.options][:len(pack.areas)] == [area_id(a) for a in pack.areas]
    assert pack.in_language("ar").text("areas.cheadle_hulme") == "تشيدل هيوم"


def test_a_pack_text_is_found_by_key_in_any_of_its_languages(pack: CampaignPack) -> None:
    assert pack.text("prompts.love.text") == "What do you love about Stockport?"
    assert pack.text("prompts.love.text", "pl") == "Co Państwo lubią w Stockporcie?"
    assert pack.in_language("ur").text("prompts.love.spoken") == \
        pack.in_language("ur").text("prompts.love.text")  # spoken left out: reads the text
    assert pack.text("about_you.child_age.options.age_8_9", "ar") == "8 أو 9"
    with pytest.raises(KeyError, match=r"no text 'prompts\.nothing\.text'"):
        pack.text("prompts.nothing.text", "ur")


def test_a_language_the_pack_does_not_have_is_an_error_not_english(
    pack: CampaignPack,
) -> None:
    with pytest.raises(LookupError, match=r"not in Somali \(so\); it has en, ur, pl, ar"):
        pack.in_language("so")


def test_each_language_has_a_digest_of_exactly_the_words_it_shows(pack: CampaignPack) -> None:
    main = DEFAULT.read_bytes()
    assert pack.digest == hashlib.sha256(main).hexdigest()
    digests = {pack.digest}
    for language in OTHERS:
        extra = translation_path(DEFAULT, language).read_bytes()
        view = pack.in_language(language)
        assert view.digest == hashlib.sha256(main + extra).hexdigest()
        digests.add(view.digest)
    assert len(digests) == 4


def test_the_pseudo_language_changes_every_word_and_nothing_else(pack: CampaignPack) -> None:
    view = pack.in_language(i18n.PSEUDO_LANGUAGE)
    for key, text in view.texts().items():
        assert i18n.is_pseudo(text), f"{key}: {text!r}"
    assert [p.id for p in view.prompts] == [p.id for p in pack.prompts]
    assert view.theme == pack.theme
    assert pack.in_language(i18n.PSEUDO_LANGUAGE) is view


# --------------------------------------------------------------------------- refused packs


def test_a_missing_translation_is_refused_naming_the_key_and_the_language(
    tmp_path: Path,
) -> None:
    path = _copy(tmp_path)
    urdu = translation_path(path, "ur")
    text = urdu.read_text(encoding="utf-8")
    # Take out the text of the third prompt (child_doing).
    start = text.index("[prompts.child_doing]")
    line = re.search(r"^text = .*\n", text[start:], flags=re.M)
    assert line is not None
    urdu.write_text(text[:start + line.start()] + text[start + line.end():], encoding="utf-8")
    error = _error(path)
    assert error.path == urdu
    assert error.field == "prompts[2].text"
    assert str(error).splitlines()[0] == (
        f"campaign pack {urdu}: prompts[2].text: has no Urdu (ur) translation: write it under "
        '[prompts.child_doing] as text = "..."')


def test_a_missing_translation_file_is_named(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    translation_path(path, "pl").unlink()
    error = _error(path)
    assert error.path == path and error.field == "languages[2]"
    assert "Polish ('pl') needs its translation file one_stockport.pl.toml beside the pack" \
        in str(error)


@pytest.mark.parametrize(("language", "old", "new", "field", "words"), [
    ("ar", "[prompts.child_love]", "[prompts.child_lov]", "prompts.child_lov",
     "did you mean 'child_love'?"),
    ("pl", "[consent.older]", "[consent.oldr]", "consent.oldr", "did you mean 'older'?"),
    ("ur", "{retention_days} دن", "180 دن", "consent.adult.text",
     "must keep {retention_days}"),
    ("ur", "5، 6 یا 7", "۵، ۶ یا ۷", "about_you[0].options[0].label", "digits 0 to 9"),
    ("pl", 'language = "pl"', 'language = "ur"', "language", "named for Polish ('pl')"),
    ("pl", 'age_8_9 = "8 lub 9"', "age_8_9 = 9", "about_you[0].options[1].label",
     "should be text in quotes"),
    ("ar", 'name = "وان ستوكبورت"', 'name = " "', "name", "is empty"),
    ("ar", "{retention_days} يومًا", "{retention_days} {days}", "consent.adult.text",
     "{days} is not something the booth fills in"),
])
def test_a_wrong_translation_names_the_place_and_the_problem(
    tmp_path: Path, language: str, old: str, new: str, field: str, words: str,
) -> None:
    path = _copy(tmp_path)
    _change(translation_path(path, language), old, new)
    error = _error(path)
    assert error.path == translation_path(path, language)
    assert error.field == field, str(error)
    assert words in str(error).splitlines()[0]


def test_a_translation_too_long_for_the_screen_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    _change(translation_path(path, "pl"), 'label = "Wolontariat"', f'label = "{"W" * 90}"')
    error = _error(path)
    assert error.field == "priority_lists[1].items[8].label"
    assert "too long" in str(error)


def test_a_language_the_booth_cannot_show_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    _change(path, 'languages = ["en", "ur", "pl", "ar"]', 'languages = ["en", "ur", "so"]')
    error = _error(path)
    assert error.path == path and error.field == "languages[2]"
    assert "not translated into Somali ('so')" in str(error)


@pytest.mark.parametrize(("languages", "field", "words"), [
    ('["en", "urdu"]', "languages[1]", "'urdu' is not a language code"),
    ('["en", "ur", "ur"]', "languages[2]", "'ur' is in the list twice"),
    ("[]", "languages", "needs at least 1"),
])
def test_a_wrong_list_of_languages_is_named(
    tmp_path: Path, languages: str, field: str, words: str,
) -> None:
    path = _copy(tmp_path)
    _change(path, 'languages = ["en", "ur", "pl", "ar"]', f"languages = {languages}")
    error = _error(path)
    assert error.field == field and words in str(error)


def test_the_default_language_must_be_one_of_the_packs(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    _change(path, 'default_language = "en"', 'default_language = "cy"')
    error = _error(path)
    assert error.field == "default_language"
    assert "'cy' is not one of the pack's languages (en, ur, pl, ar)" in str(error)


def test_a_pack_can_start_people_in_another_language(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    _change(path, 'default_language = "en"', 'default_language = "ur"')
    assert load_pack(path).default_language == "ur"


def test_a_pack_that_names_no_languages_is_english_only() -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    text = text.replace('languages = ["en", "ur", "pl", "ar"]\n', "")
    text = text.replace('default_language = "en"\n', "")
    alone = pack_from_toml(text)
    assert alone.languages == ["en"] and alone.default_language == "en"


# --------------------------------------------------------------------------- translation files


def test_the_shipped_translation_files_are_what_the_writer_writes(pack: CampaignPack) -> None:
    """The layout a translator receives: regenerating a shipped file keeps every word."""
    data = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    for language in OTHERS:
        file = translation_path(DEFAULT, language)
        shipped = tomllib.loads(file.read_text(encoding="utf-8"))
        again = tomllib.loads(translation_file(data, language, _flat(shipped), DEFAULT.name))
        assert again == shipped


def _flat(table: dict[str, object], key: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    flat: dict[tuple[str, ...], str] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(_flat(value, (*key, name)))
        elif isinstance(value, str) and (*key, name) != ("language",):
            flat[(*key, name)] = value
    return flat


def test_a_new_language_starts_from_a_file_with_every_line_to_translate(
    tmp_path: Path,
) -> None:
    path = _copy(tmp_path)
    result = subprocess.run([sys.executable, "-m", "booth.pack", str(path), "so"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    file = translation_path(path, "so")
    assert "lines to translate into Somali" in result.stdout
    text = file.read_text(encoding="utf-8")
    assert 'language = "so"' in text
    assert "# What do you love about Stockport?" in text
    assert "[prompts.child_love]" in text and "[areas]" in text
    table = tomllib.loads(text)
    assert table["prompts"]["love"]["text"] == ""


def test_bringing_a_translation_up_to_date_keeps_it_and_adds_what_is_new(
    tmp_path: Path,
) -> None:
    path = _copy(tmp_path)
    _change(path, 'id = "have_a_say"', 'id = "a_say"')  # a changed id: a new line to translate
    error = _error(path)  # each translation still has the old id, and says so
    assert error.path == translation_path(path, "ur") and error.field == "prompts.have_a_say"
    assert "did you mean 'a_say'?" in str(error)
    for language in OTHERS:
        result = subprocess.run([sys.executable, "-m", "booth.pack", str(path), language],
                                capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        assert "1 lines to translate" in result.stdout
    table = tomllib.loads(translation_path(path, "pl").read_text(encoding="utf-8"))
    assert table["prompts"]["love"]["text"] == "Co Państwo lubią w Stockporcie?"
    assert table["prompts"]["a_say"]["text"] == "" and "have_a_say" not in table["prompts"]
    error = _error(path)
    assert error.field == "prompts[9].text" and "is empty" in str(error)


@given(st.text())
def test_any_text_is_written_as_toml_that_reads_back_the_same(text: str) -> None:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return  # not text a file can hold
    assert tomllib.loads(f"value = {toml_string(text)}\n")["value"] == text
