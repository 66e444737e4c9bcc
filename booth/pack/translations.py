"""A campaign pack in other languages: one translation file per language beside the pack
(``one_stockport.ur.toml`` for Urdu), checked complete and turned into the pack in that
language; and the file a council sends to a translator.

A translation file names each word by the id it has in the pack, never by its position
(``[prompts.child_love] text = "..."``), so reordering the pack's prompts changes nothing.
The pack's own words are written above each line as comments, for the translator. Whatever
the pack file says must be said in every language: a missing line refuses the whole pack
("prompts[2].text has no Urdu (ur) translation"), so no one is ever shown a mix of languages.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from booth.i18n import english_name, native_name
from booth.pack.errors import PackError, Problem, join_path, problems_from, read_toml
from booth.pack.model import CampaignPack, area_id, describe

Key = tuple[str, ...]
Place = tuple[str | int, ...]

# Placeholders the booth fills in pack text (consent's {retention_days}).
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Arabic-Indic and Extended (Urdu) digits: the booth writes every number, the countdown and
# the reference code in 0 to 9, so the pack's words use them too.
_OTHER_DIGITS = re.compile(r"[\u0660-\u0669\u06F0-\u06F9]")


def translation_path(pack_path: Path, language: str) -> Path:
    """Where a language's translation file sits: beside the pack, with the language's code."""
    return pack_path.with_name(f"{pack_path.stem}.{language}.toml")


@dataclass(frozen=True)
class Entry:
    """One word or sentence of the pack that every language must say."""

    key: Key          # where it goes in a translation file: ("prompts", "love", "text")
    place: Place      # where it is in the pack file: ("prompts", 3, "text")
    own: str          # what the pack file says, in its own language
    required: bool    # False for a "spoken" the pack leaves out (it reads the text)

    @property
    def field(self) -> str:
        return join_path(self.place)

    @property
    def table(self) -> str:
        return f"[{'.'.join(self.key[:-1])}]" if len(self.key) > 1 else "the top of the file"

    @property
    def name(self) -> str:
        return self.key[-1]


def _words(key: Key, place: Place, table: Mapping[str, Any], field: str) -> Iterator[Entry]:
    """``field`` and the "spoken" beside it (which reads ``field`` when left out)."""
    yield Entry((*key, field), (*place, field), str(table[field]), True)
    spoken = table.get("spoken")
    own = str(spoken) if isinstance(spoken, str) else str(table[field])
    yield Entry((*key, "spoken"), (*place, "spoken"), own, isinstance(spoken, str))


def entries(data: Mapping[str, Any]) -> list[Entry]:
    """Everything a translation of this (already validated) pack table must say, in the
    order a translation file lists it."""
    found = [Entry(("name",), ("name",), str(data["name"]), True)]
    for look, wording in data["consent"].items():
        for field in ("text", "spoken", "adult_confirmation"):
            if isinstance(wording.get(field), str):
                found.append(Entry(("consent", look, field), ("consent", look, field),
                                   wording[field], True))
    for index, prompt in enumerate(data["prompts"]):
        found += _words(("prompts", prompt["id"]), ("prompts", index), prompt, "text")
    for index, plist in enumerate(data["priority_lists"]):
        key, place = ("priority_lists", plist["id"]), ("priority_lists", index)
        found += _words(key, place, plist, "title")
        for number, item in enumerate(plist["items"]):
            found += _words((*key, "items", item["id"]), (*place, "items", number), item,
                            "label")
    for index, question in enumerate(data.get("about_you", [])):
        key, place = ("about_you", question["id"]), ("about_you", index)
        found += _words(key, place, question, "text")
        for number, option in enumerate(question.get("options", [])):
            found.append(Entry((*key, "options", option["id"]),
                               (*place, "options", number, "label"), option["label"], True))
    for index, area in enumerate(data.get("areas", [])):
        found.append(Entry(("areas", area_id(area)), ("areas", index), area.strip(), True))
    return found


# --------------------------------------------------------------------------- reading


def _leaves(table: Mapping[str, Any], key: Key = ()) -> Iterator[tuple[Key, Any]]:
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*key, name))
        else:
            yield (*key, name), value


def _unknown(key: Key, known: set[Key]) -> Problem:
    """Name the first part of ``key`` the pack does not have, with the nearest that it has."""
    for depth in range(1, len(key) + 1):
        prefix = key[:depth]
        if any(k[:depth] == prefix for k in known):
            continue
        siblings = sorted({k[depth - 1] for k in known if k[: depth - 1] == key[: depth - 1]
                           and len(k) >= depth})
        hint = difflib.get_close_matches(key[depth - 1], siblings, n=1)
        where = ".".join(prefix)
        what = "a key" if depth == 1 else f"'{key[depth - 1]}' under [{'.'.join(key[:depth - 1])}]"
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return Problem(where, f"{what} the pack does not have{suggestion}; check the spelling "
                              "against the pack, or remove it")
    return Problem(".".join(key), "is a table here, but should be text in quotes")


def _check_words(entry: Entry, value: str, language: str) -> str | None:
    if not value.strip():
        return f"is empty; write the {english_name(language)} words"
    if _OTHER_DIGITS.search(value):
        return ("write numbers with the digits 0 to 9, as the booth writes its countdown, "
                "timers and reference codes")
    own = set(_PLACEHOLDER.findall(entry.own))
    given = set(_PLACEHOLDER.findall(value))
    if own - given:
        return (f"must keep {', '.join(sorted(own - given))} as it is: the booth puts a "
                "number there")
    if given - own:
        return (f"{', '.join(sorted(given - own))} is not something the booth fills in; "
                "write the words themselves")
    return None


def check_translation(table: Mapping[str, Any], language: str,
                      own: list[Entry]) -> tuple[dict[Key, str], list[Problem]]:
    """The translation's words by key, and what is wrong with it (nothing when complete)."""
    name = english_name(language)
    problems: list[Problem] = []
    said = table.get("language")
    if said != language:
        problems.append(Problem("language", (
            f'is required: write language = "{language}" at the top of the file'
            if said is None else
            f"says {describe(said)}, but the file is named for {name} ('{language}')")))
    by_key = {entry.key: entry for entry in own}
    values: dict[Key, str] = {}
    for key, value in _leaves({k: v for k, v in table.items() if k != "language"}):
        entry = by_key.get(key)
        if entry is None:
            problems.append(_unknown(key, set(by_key)))
            continue
        if not isinstance(value, str):
            problems.append(Problem(entry.field, f"should be text in quotes under "
                                                 f"{entry.table}, not {describe(value)}"))
            continue
        trouble = _check_words(entry, value, language)
        if trouble:
            problems.append(Problem(entry.field, f"{trouble} ({entry.table} {entry.name})"))
            continue
        values[key] = value
    wrong_places = {problem.field for problem in problems}
    for entry in own:
        if entry.required and entry.key not in values and entry.field not in wrong_places:
            problems.append(Problem(entry.field, (
                f"has no {name} ({language}) translation: write it under {entry.table} "
                f'as {entry.name} = "..."')))
    return values, problems


def translated_table(data: Mapping[str, Any], values: Mapping[Key, str],
                     own: list[Entry]) -> dict[str, Any]:
    """The pack's table with its words replaced by the translation's (ids, pictures and
    settings unchanged). A "spoken" left out reads the translated text, as in the pack."""
    table = copy.deepcopy(dict(data))
    for entry in own:
        if entry.key not in values:
            continue
        target: Any = table
        for part in entry.place[:-1]:
            target = target[part]
        target[entry.place[-1]] = values[entry.key]
    return table


Fill = Callable[[dict[str, Any], str, list[str]], dict[str, Any]]


def add_translations(pack: CampaignPack, data: Mapping[str, Any], path: Path,
                     raw: bytes | None, fill: Fill) -> None:
    """Read, check and attach each of the pack's other languages. ``fill`` adds what the
    loader adds to a pack table (answers, retention days) in a language, given the areas'
    answer ids.
    Raises :class:`PackError` naming the file, the field and the language."""
    own = entries(data)
    area_ids = [area_id(area) for area in data.get("areas", [])]
    for index, language in enumerate(pack.languages[1:], start=1):
        file = translation_path(path, language)
        try:
            file_bytes = file.read_bytes()
        except OSError as error:
            missing = isinstance(error, FileNotFoundError)
            raise PackError(path, [Problem(f"languages[{index}]", (
                f"{english_name(language)} ('{language}') needs its translation file "
                f"{file.name} beside the pack" if missing else
                f"the translation file {file.name} cannot be read ({error.strerror})"))]
            ) from None
        values, problems = check_translation(read_toml(file_bytes, file), language, own)
        if problems:
            raise PackError(file, problems)
        try:
            view = CampaignPack.model_validate(
                fill(translated_table(data, values, own), language, area_ids))
        except ValidationError as exc:
            raise PackError(file, problems_from(exc)) from None
        view._path = pack.path
        # The exact words shown: the pack file's bytes followed by the translation's, so
        # `cat one_stockport.toml one_stockport.ur.toml | sha256sum` gives the same.
        view._digest = hashlib.sha256(raw + file_bytes).hexdigest() if raw is not None else ""
        view._language = language
        view._base = pack
        pack._views[language] = view


# --------------------------------------------------------------------------- writing

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def toml_string(text: str) -> str:
    """``text`` as a TOML string: in triple quotes when it has line breaks."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    body = _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04X}", body)
    if "\n" in body:
        return f'"""\n{body}"""'
    return f'"{body}"'


def _comment(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.splitlines() or [""]]


def translation_file(data: Mapping[str, Any], language: str,
                     existing: Mapping[Key, str] | None = None,
                     pack_file: str = "the pack file") -> str:
    """A translation file for ``language``: every word of the pack as a comment, with the
    translation under it (``existing``'s, or "" to fill in). Words the pack no longer has
    are dropped; a "spoken" the pack leaves out is written only when translated already."""
    existing = existing or {}
    name = english_name(language)
    lines = [
        f"# {data['name']} in {name} ({native_name(language)}): the campaign pack's words for "
        f"people who choose {name}.",
        f"# It sits beside {pack_file}, named like it with the language's code ({language}).",
        "#",
        "# HOW TO TRANSLATE THIS FILE",
        "# - Each line starting with # shows what the pack says. Write the translation in",
        '#   the "quotes" under it. Leave the [names in brackets] and everything before "="',
        "#   as it is: they are the ids the booth stores with each answer.",
        "# - Keep {retention_days} where the pack has it: the booth puts the number there.",
        "# - Write numbers with the digits 0 to 9. Plain words: children read some of this.",
        '# - "spoken" is what the booth reads aloud; a prompt with only "text" reads the text.',
        "# - Check it with `booth doctor --pack <the pack file>`: it names any line missing.",
        "# Full guide: docs/campaign-pack.md and docs/translations.md",
        "",
        f'language = "{language}"',
    ]
    table_of: str | None = None
    for entry in entries(data):
        value = existing.get(entry.key)
        if not entry.required and value is None:
            continue
        table = ".".join(entry.key[:-1])
        if table and table != table_of:
            lines += ["", f"[{table}]"]
            table_of = table
        elif not table:
            lines.append("")
        lines += _comment(entry.own)
        lines.append(f"{entry.name} = {toml_string(value if value is not None else '')}")
    return "\n".join(lines) + "\n"


def existing_translation(file: Path) -> dict[Key, str]:
    """The translations a file already has (for writing it again after the pack changed)."""
    if not file.exists():
        return {}
    table = read_toml(file.read_bytes(), file)
    return {key: value for key, value in _leaves(table)
            if key != ("language",) and isinstance(value, str)}
