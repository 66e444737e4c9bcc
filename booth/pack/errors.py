"""What is wrong with a campaign pack or one of its translation files, in the council's words:
the file, the field (``prompts[2].text``) and the problem."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from booth.pack.model import (
    COLOUR_PATTERN,
    ID_PATTERN,
    AboutYouQuestion,
    AnswerOption,
    CampaignPack,
    ConsentWording,
    FieldProblem,
    IdleTime,
    IdleTimes,
    LookTheme,
    PriorityItem,
    PriorityList,
    Prompt,
    Theme,
    describe,
    printable,
    shown,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack: where (a field path like ``prompts[2].audience``) and what."""

    field: str
    message: str


class PackError(Exception):
    """A campaign pack that cannot be used; the message names the file, the field and the problem.

    ``unexpected`` is True only when the loader itself failed (a bug), not the pack.
    """

    def __init__(self, path: Path, problems: Iterable[Problem], *, unexpected: bool = False):
        self.path = path
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem("", "is not usable"),)
        self.unexpected = unexpected
        super().__init__(
            "\n".join(_line(path, problem) for problem in self.problems)
        )

    @property
    def field(self) -> str:
        """The field path of the first problem ("" when it is about the whole file)."""
        return self.problems[0].field


def _line(path: Path, problem: Problem) -> str:
    where = f"{problem.field}: " if problem.field else ""
    return f"campaign pack {path}: {where}{problem.message}"


def join_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith("[") and part.endswith("]"):
            text += part
        else:
            # Quote names TOML itself would quote ("my key"), as the council would write them.
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{printable(part)}"'
            text = f"{text}.{name}" if text else name
    return text


_TYPE_WORDS: dict[str, str] = {
    "string_type": "text in quotes",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list in [ ]",
    "dict_type": "a [section] or { } table",
    "model_type": "a [section] or { } table",
    "model_attributes_type": "a [section] or { } table",
}


def _all_field_names() -> list[str]:
    names: set[str] = set()
    for model in (CampaignPack, Prompt, PriorityList, PriorityItem, AnswerOption,
                  AboutYouQuestion, ConsentWording, Theme, LookTheme, IdleTimes, IdleTime):
        names.update(model.model_fields)
    return sorted(names)


def _problem_from(error: Mapping[str, Any]) -> Problem:
    loc: list[str | int] = [part for part in error["loc"] if part != "[key]"]
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    message: str = error["msg"]

    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        if isinstance(cause, FieldProblem):
            where = join_path(loc)
            if cause.field:  # already a field path, written by this module
                joiner = "." if where and not cause.field.startswith("[") else ""
                where = f"{where}{joiner}{cause.field}"
            return Problem(where, cause.problem)
        return Problem(join_path(loc), message.removeprefix("Value error, "))
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        hint = difflib.get_close_matches(name, _all_field_names(), n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return Problem(
            join_path(loc),
            f"{shown(name)} is not a setting the booth knows{suggestion}; check the spelling",
        )
    if kind == "missing":
        return Problem(join_path(loc), "is required but missing")
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return Problem(
            join_path(loc), f"{shown(value)} is not one of {', '.join(expected)}"
        )
    if kind in _TYPE_WORDS:
        return Problem(
            join_path(loc), f"should be {_TYPE_WORDS[kind]}, not {describe(value)}"
        )
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern == ID_PATTERN:
            wanted = "an id of small letters, digits and _ (like 'nature_and_parks')"
        elif pattern == COLOUR_PATTERN:
            wanted = "a colour like '#1A2B3C'"
        else:
            wanted = f"text matching {pattern}"
        return Problem(join_path(loc), f"{shown(value)} should be {wanted}")
    if kind == "string_too_short":
        return Problem(join_path(loc), "is empty; write something or remove it")
    if kind == "string_too_long":
        return Problem(
            join_path(loc), f"is too long (at most {ctx.get('max_length')} characters)"
        )
    if kind == "too_short":
        return Problem(
            join_path(loc), f"needs at least {ctx.get('min_length')} entries, has none"
            if not value else f"needs at least {ctx.get('min_length')} entries"
        )
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return Problem(join_path(loc), f"{shown(value)} should be {words} {ctx.get(key)}")
    return Problem(join_path(loc), message)


def problems_from(exc: ValidationError) -> list[Problem]:
    errors = exc.errors()
    wrong = {tuple(e["loc"]) for e in errors}
    problems: list[tuple[int, Problem]] = []
    for error in errors:
        loc = tuple(error["loc"])
        # A missing "spoken" only repeats that its text or title is missing or wrong.
        if error["type"] == "missing" and loc[-1:] == ("spoken",) and (
            (*loc[:-1], "text") in wrong or (*loc[:-1], "title") in wrong
        ):
            continue
        # A misspelt name explains the "missing" one next to it, so it goes first.
        rank = 0 if error["type"] == "extra_forbidden" else 1
        problems.append((rank, _problem_from(error)))
    return [problem for _, problem in sorted(problems, key=lambda pair: pair[0])]


def toml_problem(message: str) -> Problem:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if match is None:
        match = re.search(r"\s*\(at end of document\)\s*$", message)
        where = "at the end of the file" if match else ""
    else:
        where = f"line {match.group(1)}, column {match.group(2)}"
    reason = message[: match.start()] if match else message
    return Problem(where, f"this is not valid TOML ({reason})")

def read_toml(raw: bytes, path: Path) -> dict[str, Any]:
    """A pack file's bytes as a TOML table, or a :class:`PackError` naming the line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackError(path, [Problem(
            "", f"is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8"
        )]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(path, [toml_problem(str(exc))]) from None
