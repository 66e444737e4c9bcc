"""Tests for the campaign pack model, its loader and the One Stockport default pack."""

from __future__ import annotations

import copy
import hashlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.pack import (
    LOOKS,
    PREFER_NOT_TO_SAY_ID,
    SOMEWHERE_ELSE_ID,
    CampaignPack,
    PackError,
    contrast_ratio,
    default_pack_path,
    load_pack,
    load_pack_or_default,
    pack_from_toml,
    parse_pack,
    translation_path,
)

DEFAULT = default_pack_path()
DEFAULT_TEXT = DEFAULT.read_text(encoding="utf-8")

# What the board paper (shared/seed/000_e7963a4146d60f7b.txt) lists, word for word.
PAPER_CHILDREN_PRIORITIES = [
    "Nature & greenspaces",
    "Nice neighbours & community",
    "Friendships",
    "Kind & generous people",
    "Cleaner places & air",
    "More trees & plants",
    "Look after the planet",
    "Be kind to each other",
    "Reduce plastic usage",
    "Health and wellbeing",
    "Pollution and clean air",
    "Promoting digital technology",
    "Job opportunities",
    "Being united and caring for each other",
    "Mental health services",
]
PAPER_CAMPAIGN_THEMES = [
    "Supporting local businesses",
    "Connecting our communities",
    "Promoting health & wellbeing",
]
PAPER_SHOP_LOCAL_AREAS = {
    "Edgeley", "Reddish", "Davenport", "Cheadle", "Hazel Grove", "Bramhall", "Woodley",
    "Heald Green", "Stockport town centre", "Offerton", "Romiley", "Bredbury", "Gatley",
    "Brinnington", "Heatons", "Marple", "Cheadle Hulme",
}
# The Age Friendly forum's nine priorities; labels are plainer, the ids keep the paper's
# meaning, so the test checks the ids and a few labels kept word for word.
AGE_FRIENDLY_IDS = [
    "empower_older_people",
    "work_with_communities_businesses",
    "simple_ways_to_have_a_say",
    "all_age_friendly",
    "young_and_old_together",
    "grow_older_locally",
    "work_with_vcse",
    "digital_inclusion",
    "involve_minority_groups",
]


@pytest.fixture(scope="module")
def pack() -> CampaignPack:
    return load_pack(DEFAULT)


RAW_DEFAULT = tomllib.loads(DEFAULT_TEXT)


def raw_default() -> dict[str, Any]:
    return copy.deepcopy(RAW_DEFAULT)


# --------------------------------------------------------------------------- default pack


def test_default_pack_records_where_it_came_from(pack: CampaignPack) -> None:
    assert pack.path == DEFAULT
    assert pack.digest == hashlib.sha256(DEFAULT.read_bytes()).hexdigest()
    assert pack.name == "One Stockport"


def test_default_pack_has_the_childrens_video_booth_questions(pack: CampaignPack) -> None:
    prompts = pack.prompts_for("child")
    assert [p.id for p in prompts] == ["child_love", "child_future", "child_doing"]
    assert prompts[0].text == "What do you love about Stockport?"
    for prompt in prompts:
        assert prompt.spoken != prompt.text  # phrased out loud for a five-year-old
        assert prompt.max_seconds <= 60  # children's answers are 30-60 s
    # Children never see the adult prompts, and adults never see the children's.
    assert not {p.id for p in prompts} & {p.id for p in pack.prompts_for("adult")}


def test_default_pack_has_prompts_from_the_campaign_for_adults_and_older_people(
    pack: CampaignPack,
) -> None:
    adult = [p.text for p in pack.prompts_for("adult")]
    older = [p.text for p in pack.prompts_for("older")]
    assert "What do you love about Stockport?" in adult
    assert "What do you love about Stockport?" in older
    assert any("businesses" in text for text in adult)
    assert any("grow older" in text for text in older)


def test_default_pack_has_the_childrens_priority_list_from_the_paper(pack: CampaignPack) -> None:
    children = pack.priority_list_for("child")
    labels = [item.label for item in children.items]
    # The children's own words, every one of them; ordered so near-duplicates sit together.
    assert sorted(labels) == sorted(PAPER_CHILDREN_PRIORITIES)
    for together in (["Cleaner places & air", "Pollution and clean air"],
                     ["Kind & generous people", "Be kind to each other",
                      "Being united and caring for each other"]):
        places = sorted(labels.index(label) for label in together)
        assert places == list(range(places[0], places[0] + len(together))), together
    assert 1 <= children.max_ticks < len(children.items)


def test_default_pack_has_the_age_friendly_forums_list(pack: CampaignPack) -> None:
    older = pack.priority_list_for("older")
    assert [item.id for item in older.items] == AGE_FRIENDLY_IDS
    labels = {item.label for item in older.items}
    assert {"Empower older people", "Involve all minority groups"} <= labels


def test_default_adult_list_starts_with_the_campaigns_three_themes(pack: CampaignPack) -> None:
    adults = pack.priority_list_for("adult")
    assert [item.label for item in adults.items[:3]] == PAPER_CAMPAIGN_THEMES
    assert pack.campaign_themes == PAPER_CAMPAIGN_THEMES
    labels = " ".join(item.label for item in adults.items[3:]).lower()
    for survey_theme in ("mental health", "gp", "parks", "volunteering"):
        assert survey_theme in labels


def test_every_prompt_and_priority_item_has_a_picture(pack: CampaignPack) -> None:
    for prompt in pack.prompts:
        assert prompt.icon, prompt.id
    for priority_list in pack.priority_lists:
        for item in priority_list.items:
            assert item.icon and not item.icon.isascii(), item.id


NOTO_COLOR_EMOJI = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
# Joiners and the "show as a colour picture" selector are not glyphs of their own.
EMOJI_JOINERS = {"\u200d", "\ufe0f"}


def test_every_picture_is_in_the_colour_emoji_font(pack: CampaignPack) -> None:
    from fontTools.ttLib import TTFont

    assert NOTO_COLOR_EMOJI.exists(), "install fonts-noto-color-emoji (scripts/setup.sh does)"
    with TTFont(NOTO_COLOR_EMOJI, lazy=True) as font:
        characters = font.getBestCmap()
    icons = [p.icon for p in pack.prompts] + [
        item.icon for plist in pack.priority_lists for item in plist.items
    ]
    missing = {
        icon for icon in icons
        if icon is None or any(ord(c) not in characters for c in set(icon) - EMOJI_JOINERS)
    }
    assert not missing


def test_default_pack_areas_are_the_shop_local_posters(pack: CampaignPack) -> None:
    assert set(pack.areas) == PAPER_SHOP_LOCAL_AREAS
    area = next(q for q in pack.about_you_for("adult") if q.id == "area")
    assert [o.label for o in area.options[: len(pack.areas)]] == pack.areas
    assert [o.id for o in area.options[-2:]] == [SOMEWHERE_ELSE_ID, PREFER_NOT_TO_SAY_ID]
    assert "stockport_town_centre" in {o.id for o in area.options}


def test_every_about_you_question_lets_people_not_say(pack: CampaignPack) -> None:
    assert pack.about_you
    for question in pack.about_you:
        assert question.options[-1].id == PREFER_NOT_TO_SAY_ID
        assert question.options[-1].label == "Prefer not to say"


def test_default_age_bands(pack: CampaignPack) -> None:
    (child_age,) = [q for q in pack.about_you_for("child") if "age" in q.id]
    assert [o.label for o in child_age.options] == [
        "5, 6 or 7", "8 or 9", "10 or 11", "Prefer not to say"
    ]
    (adult_age,) = [q for q in pack.about_you_for("adult") if "age" in q.id]
    assert adult_age.options[0].label == "16 to 24"
    assert adult_age.options[-2].label == "75 or over"
    # "I'm 65 or over" is only offered the bands that fit
    (older_age,) = [q for q in pack.about_you_for("older") if "age" in q.id]
    assert [o.label for o in older_age.options] == [
        "65 to 69", "70 to 74", "75 to 79", "80 to 84", "85 or over", "Prefer not to say"
    ]


def test_default_consent_per_look(pack: CampaignPack) -> None:
    child = pack.consent_for("child")
    assert child.adult_confirmation == "A teacher or parent has said yes"
    # Short sentences a five-year-old follows: no "180 days" (issue 13).
    assert "days" not in child.text and "{" not in child.text
    for look in LOOKS:
        wording = pack.consent_for(look)
        # {retention_days} in the file is replaced by the pack's number.
        if look != "child":
            assert f"{pack.retention_days} days" in wording.text
        assert "{" not in wording.text
        assert wording.spoken


def test_default_pack_gives_older_people_time_and_size(pack: CampaignPack) -> None:
    assert pack.countdown_for("older") == 0
    assert pack.countdown_for("child") > 0
    assert pack.idle_for("older").idle_seconds > pack.idle_for("adult").idle_seconds
    assert pack.idle_for("older").still_there_seconds > pack.idle_for("adult").still_there_seconds
    older, adult = pack.theme_for("older"), pack.theme_for("adult")
    assert older.font_scale > adult.font_scale
    assert contrast_ratio(older.text, older.background) >= 7


def test_spoken_defaults_to_the_text(pack: CampaignPack) -> None:
    love = next(p for p in pack.prompts if p.id == "love")
    assert love.spoken == love.text
    look_after = next(i for i in pack.priority_list_for("child").items if i.id == "be_kind")
    assert look_after.spoken is None
    assert look_after.spoken_text == look_after.label


# --------------------------------------------------------------------------- bad packs


def edit(old: str, new: str, count: int = 1) -> str:
    assert old in DEFAULT_TEXT, old
    return DEFAULT_TEXT.replace(old, new, count)


BAD_PACKS: dict[str, tuple[str, str, str]] = {
    # name: (pack text, field path named, words in the problem)
    "audience typo": (
        edit('audience = ["child"]\nicon = "🌈"', 'audience = ["kids"]\nicon = "🌈"'),
        "prompts[1].audience[0]",
        "'kids' is not one of child, adult, older, all",
    ),
    "unknown field": (
        edit('title = "What matters most to you?"', 'tittle = "What matters most to you?"'),
        "priority_lists[0].tittle",
        "did you mean 'title'?",
    ),
    "wrong type": (
        edit("max_take_seconds = 120", 'max_take_seconds = "120"'),
        "max_take_seconds",
        "should be a whole number, not the text '120'",
    ),
    "duplicate prompt id": (
        edit('id = "child_future"', 'id = "child_love"'),
        "prompts[1].id",
        "'child_love' is already used by prompts[0]",
    ),
    "duplicate item id": (
        edit('id = "friendships"', 'id = "nature_greenspaces"'),
        "priority_lists[0].items[10].id",
        "already used",
    ),
    "max_ticks too big": (
        edit("max_ticks = 3", "max_ticks = 16"),
        "priority_lists[0].max_ticks",
        "16 is more than the 15 items",
    ),
    "max_ticks zero": (
        edit("max_ticks = 3", "max_ticks = 0"),
        "priority_lists[0].max_ticks",
        "0 should be at least 1",
    ),
    "look without a prompt": (
        edit('audience = ["older"]\nicon = "🏡"', 'audience = ["adult"]\nicon = "🏡"').replace(
            'audience = ["adult", "older"]', 'audience = ["adult"]'
        ),
        "prompts",
        "no prompt is for the 'older' look",
    ),
    "look with two lists": (
        edit('audience = ["adult"]\nmax_ticks', 'audience = ["adult", "older"]\nmax_ticks'),
        "priority_lists[2].audience",
        "the 'older' look has 2 priority lists",
    ),
    "newer format": (
        edit("format_version = 1", "format_version = 2\nsome_new_setting = true"),
        "format_version",
        "made for a newer booth",
    ),
    "prompt longer than a take": (
        edit("max_seconds = 120", "max_seconds = 200"),
        "prompts[8].max_seconds",
        "longer than max_take_seconds",
    ),
    "no retention": (
        edit("retention_days = 180", "retention_days = 0"),
        "retention_days",
        "0 should be at least 1",
    ),
    "child consent without the adult line": (
        edit('adult_confirmation = "A teacher or parent has said yes"', ""),
        "consent.child.adult_confirmation",
        "A teacher or parent has said yes",
    ),
    "consent for a look missing": (
        edit("[consent.older]", "[consent.oldr]"),
        "consent.oldr",
        "'oldr' is not one of child, adult, older",
    ),
    "prefer not to say written by hand": (
        edit('{ id = "age_8_9", label = "8 or 9" }', '{ id = "prefer_not_to_say", label = "No" }'),
        "about_you[0].options[1].id",
        "added by the booth itself",
    ),
    "unreadable colours": (
        edit('text = "#000000"', 'text = "#777777"'),
        "theme.older.text",
        "too hard to read",
    ),
    "area twice": (
        edit('"Woodley",', '"Woodley", "bramhall",'),
        "areas[17]",
        "'bramhall' is in the list twice",
    ),
    "question without answers": (
        re.sub(r"^areas = \[.*?^\]", "areas = []", DEFAULT_TEXT, flags=re.S | re.M),
        "about_you[3].options",
        "no answers to choose from",
    ),
    "same picture twice in a list": (
        edit('icon = "🧹"', 'icon = "🌳"'),
        "priority_lists[0].items[4].icon",
        "already the picture for items[0]",
    ),
    "a word for a picture": (
        edit('icon = "🧹"', 'icon = "broom"'),
        "priority_lists[0].items[4].icon",
        "should be one emoji picture",
    ),
    "bad id": (
        edit('id = "child_love"', 'id = "Child Love"'),
        "prompts[0].id",
        "small letters, digits and _",
    ),
}


@pytest.mark.parametrize("name", list(BAD_PACKS))
def test_bad_pack_names_file_field_and_problem(name: str, tmp_path: Path) -> None:
    text, field, words = BAD_PACKS[name]
    path = tmp_path / "pack.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(path)
    error = caught.value
    assert error.field == field
    assert str(error).startswith(f"campaign pack {path}: {field}: ")
    assert words in str(error).splitlines()[0]
    assert not error.unexpected


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(PackError) as caught:
        load_pack(path)
    assert str(caught.value) == f"campaign pack {path}: the file does not exist"


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="is a folder"):
        load_pack(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pack.toml"
    path.write_bytes(DEFAULT_TEXT.encode("utf-8").replace(b"Edgeley", b"Edg\xe9ley"))
    with pytest.raises(PackError, match=r"is not UTF-8 text"):
        load_pack(path)


def test_bad_toml_names_line_and_column(tmp_path: Path) -> None:
    lines = DEFAULT_TEXT.splitlines()
    broken = next(i for i, line in enumerate(lines) if line.startswith("max_take_seconds"))
    lines[broken] = "max_take_seconds = = 120"
    path = tmp_path / "pack.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(path)
    assert caught.value.field == f"line {broken + 1}, column 20"
    assert "not valid TOML" in str(caught.value)


def test_empty_file_lists_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "pack.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(path)
    fields = {problem.field for problem in caught.value.problems}
    assert {"format_version", "prompts", "priority_lists", "consent"} <= fields


def test_misspelling_is_reported_before_what_it_left_missing() -> None:
    with pytest.raises(PackError) as caught:
        pack_from_toml(edit("council =", "councill ="), Path("/x/pack.toml"))
    first, second = caught.value.problems[:2]
    assert first.field == "councill" and "did you mean 'council'?" in first.message
    assert second.field == "council"


def test_the_minimal_example_in_the_docs_loads(tmp_path: Path) -> None:
    doc = (DEFAULT.parents[2] / "docs" / "campaign-pack.md").read_text(encoding="utf-8")
    example = doc.split("## A minimal pack", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "market_day.toml"
    path.write_text(example, encoding="utf-8")
    minimal = load_pack(path)
    for look in LOOKS:
        assert [p.id for p in minimal.prompts_for(look)] == ["love"]
        assert minimal.priority_list_for(look).id == "priorities"
        assert minimal.about_you_for(look) == []
    assert "90 days" in minimal.consent_for("older").text


def test_a_wrong_text_is_reported_once_not_again_as_missing_spoken() -> None:
    with pytest.raises(PackError) as caught:
        pack_from_toml(edit('text = "What do you love about Stockport?"\naudience = ["adult"',
                            'text = 42\naudience = ["adult"'))
    assert [problem.field for problem in caught.value.problems] == ["prompts[3].text"]


def test_a_model_dump_validates_again(pack: CampaignPack) -> None:
    again = CampaignPack.model_validate(pack.model_dump())
    assert again.model_dump() == pack.model_dump()
    assert again.prompts_for("older") == pack.prompts_for("older")


# --------------------------------------------------------------------------- fallback


def test_good_pack_is_used_without_error(tmp_path: Path) -> None:
    path = tmp_path / "event.toml"
    path.write_text(edit('name = "One Stockport"', 'name = "Market day"'), encoding="utf-8")
    for language in ("ur", "pl", "ar"):  # a pack travels with its translation files
        translation_path(path, language).write_bytes(
            translation_path(DEFAULT, language).read_bytes())
    chosen, error = load_pack_or_default(path, DEFAULT)
    assert error is None
    assert chosen.name == "Market day"
    assert chosen.path == path


def test_bad_pack_falls_back_to_default_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "event.toml"
    path.write_text(edit("max_ticks = 3", "max_ticks = 99"), encoding="utf-8")
    chosen, error = load_pack_or_default(path, DEFAULT)
    assert chosen.path == DEFAULT
    assert error is not None
    assert error.path == path
    assert error.field == "priority_lists[0].max_ticks"


def test_broken_default_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "default.toml"
    path.write_text("format_version = 1\n", encoding="utf-8")
    with pytest.raises(PackError):
        load_pack_or_default(tmp_path / "missing.toml", path)


# --------------------------------------------------------------------------- mutation


def leaves(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    else:
        yield path


def dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


LEAVES = list(leaves(raw_default()))
CONTAINERS = [p for p in {path[:i] for path in LEAVES for i in range(len(path))}]

toml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)


def set_at(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def delete_at(data: Any, path: tuple[str | int, ...]) -> None:
    for part in path[:-1]:
        data = data[part]
    del data[path[-1]]


def check_only_pack_errors(data: dict[str, Any]) -> None:
    path = Path("/event/pack.toml")
    try:
        parse_pack(data, path)
    except PackError as error:
        assert not error.unexpected, str(error)
        for line in str(error).splitlines():
            assert line.startswith(f"campaign pack {path}: ")
        assert all(problem.message for problem in error.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(LEAVES + CONTAINERS), st.sampled_from(["set", "delete"]),
                  toml_values),
        min_size=1, max_size=3,
    )
)
def test_mutating_a_valid_pack_only_ever_raises_pack_error(
    changes: list[tuple[tuple[str | int, ...], str, Any]],
) -> None:
    data = raw_default()
    for path, action, value in changes:
        try:
            if not path:
                data = value
                continue
            if action == "delete":
                delete_at(data, path)
            else:
                set_at(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced this place
    if isinstance(data, dict):
        check_only_pack_errors(data)


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(LEAVES))
def test_a_wrong_type_anywhere_is_reported_at_that_field(path: tuple[str | int, ...]) -> None:
    data = raw_default()
    set_at(data, path, {"oops": 1})  # a table where text, a number or true/false belongs
    with pytest.raises(PackError) as caught:
        parse_pack(data, Path("/event/pack.toml"))
    assert dotted(path) in {problem.field for problem in caught.value.problems}


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    position=st.integers(min_value=0, max_value=len(DEFAULT_TEXT)),
    cut=st.integers(min_value=0, max_value=40),
    insert=st.text(max_size=8),
)
def test_damaging_the_file_only_ever_raises_pack_error(
    tmp_path: Path, position: int, cut: int, insert: str
) -> None:
    path = tmp_path / "pack.toml"
    path.write_text(DEFAULT_TEXT[:position] + insert + DEFAULT_TEXT[position + cut :],
                    encoding="utf-8", errors="surrogatepass")
    try:
        load_pack(path)
    except PackError as error:
        assert not error.unexpected, str(error)
        assert str(error).startswith(f"campaign pack {path}: ")


def test_raw_pack_is_not_changed_by_loading() -> None:
    data = raw_default()
    before = copy.deepcopy(data)
    parse_pack(data, DEFAULT)
    assert data == before


WRONG_VALUES: list[Any] = [None, True, -1, 2.5, "", "x\ny", [1], {"id": 1}]


def test_every_place_with_every_kind_of_wrong_value_gives_a_pack_error() -> None:
    # Exhaustive over the default pack's places: cheap (well under a second), and it reaches
    # places random mutation rarely does (an "options" list replaced by a number).
    tried = 0
    for path in LEAVES + [p for p in CONTAINERS if p]:
        for value in [*WRONG_VALUES, "delete"]:
            data = raw_default()
            if value == "delete":
                delete_at(data, path)
            else:
                set_at(data, path, copy.deepcopy(value))
            check_only_pack_errors(data)
            tried += 1
    assert tried == (len(LEAVES) + len(CONTAINERS) - 1) * (len(WRONG_VALUES) + 1)
