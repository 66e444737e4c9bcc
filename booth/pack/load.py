"""Reading a campaign pack: TOML in, a validated pack or a PackError that names the field."""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from booth.pack.model import (
    COLOUR_PATTERN,
    ID_PATTERN,
    PREFER_NOT_TO_SAY_ID,
    PREFER_NOT_TO_SAY_LABEL,
    RETENTION_PLACEHOLDER,
    SOMEWHERE_ELSE_ID,
    SOMEWHERE_ELSE_LABEL,
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
    check_format_version,
    describe,
    printable,
    shown,
)

# --------------------------------------------------------------------------- errors


#: Shipped resources (campaign packs) beside the source tree, or in a frozen build.
RESOURCES_DIR = Path(__file__).resolve().parent.parent.parent / "resources"


def resources_dir() -> Path:
    """Where the shipped resources live, in a source checkout or a frozen build."""
    import sys

    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    return RESOURCES_DIR


def default_pack_path() -> Path:
    """The One Stockport campaign pack that ships with the booth."""
    return resources_dir() / "packs" / "one_stockport.toml"


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


def _join_path(parts: Iterable[str | int]) -> str:
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
            where = _join_path(loc)
            if cause.field:  # already a field path, written by this module
                joiner = "." if where and not cause.field.startswith("[") else ""
                where = f"{where}{joiner}{cause.field}"
            return Problem(where, cause.problem)
        return Problem(_join_path(loc), message.removeprefix("Value error, "))
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        hint = difflib.get_close_matches(name, _all_field_names(), n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return Problem(
            _join_path(loc),
            f"{shown(name)} is not a setting the booth knows{suggestion}; check the spelling",
        )
    if kind == "missing":
        return Problem(_join_path(loc), "is required but missing")
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return Problem(
            _join_path(loc), f"{shown(value)} is not one of {', '.join(expected)}"
        )
    if kind in _TYPE_WORDS:
        return Problem(
            _join_path(loc), f"should be {_TYPE_WORDS[kind]}, not {describe(value)}"
        )
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern == ID_PATTERN:
            wanted = "an id of small letters, digits and _ (like 'nature_and_parks')"
        elif pattern == COLOUR_PATTERN:
            wanted = "a colour like '#1A2B3C'"
        else:
            wanted = f"text matching {pattern}"
        return Problem(_join_path(loc), f"{shown(value)} should be {wanted}")
    if kind == "string_too_short":
        return Problem(_join_path(loc), "is empty; write something or remove it")
    if kind == "string_too_long":
        return Problem(
            _join_path(loc), f"is too long (at most {ctx.get('max_length')} characters)"
        )
    if kind == "too_short":
        return Problem(
            _join_path(loc), f"needs at least {ctx.get('min_length')} entries, has none"
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
        return Problem(_join_path(loc), f"{shown(value)} should be {words} {ctx.get(key)}")
    return Problem(_join_path(loc), message)


def _problems_from(exc: ValidationError) -> list[Problem]:
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


# --------------------------------------------------------------------------- loading


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_") or "area"


def _filled_in(data: dict[str, Any]) -> dict[str, Any]:
    """The raw pack with what the loader adds: fixed answers, area answers, retention days."""
    data = dict(data)
    areas = data.get("areas", [])
    area_names = (
        [a for a in areas if isinstance(a, str)] if isinstance(areas, list) else []
    )
    questions = data.get("about_you")
    if isinstance(questions, list):
        completed: list[Any] = []
        for question in questions:
            if isinstance(question, dict) and isinstance(question.get("options", []), list):
                options = list(question.get("options", []))
                if question.get("use_areas") is True:
                    options += [{"id": _slug(a), "label": a.strip()} for a in area_names]
                    options.append({"id": SOMEWHERE_ELSE_ID, "label": SOMEWHERE_ELSE_LABEL})
                options.append({"id": PREFER_NOT_TO_SAY_ID, "label": PREFER_NOT_TO_SAY_LABEL})
                question = {**question, "options": options}
            completed.append(question)
        data["about_you"] = completed
    days = data.get("retention_days")
    consent = data.get("consent")
    if isinstance(days, int) and not isinstance(days, bool) and isinstance(consent, dict):
        filled: dict[str, Any] = {}
        for look, wording in consent.items():
            if isinstance(wording, dict):
                wording = {
                    key: value.replace(RETENTION_PLACEHOLDER, str(days))
                    if isinstance(value, str) else value
                    for key, value in wording.items()
                }
            filled[look] = wording
        data["consent"] = filled
    return data


def _reserved_answers(data: Mapping[str, Any]) -> list[Problem]:
    """The council must not write the answers the loader adds (they would appear twice)."""
    problems: list[Problem] = []
    questions = data.get("about_you")
    if not isinstance(questions, list):
        return problems
    for q_index, question in enumerate(questions):
        options = question.get("options") if isinstance(question, dict) else None
        if not isinstance(options, list):
            continue
        for o_index, option in enumerate(options):
            if isinstance(option, dict) and option.get("id") in (
                PREFER_NOT_TO_SAY_ID, SOMEWHERE_ELSE_ID
            ):
                problems.append(Problem(
                    f"about_you[{q_index}].options[{o_index}].id",
                    f"'{option['id']}' is added by the booth itself; remove this option",
                ))
    return problems


def parse_pack(data: Mapping[str, Any], path: Path, digest: str = "") -> CampaignPack:
    """Validate an already-read pack (a TOML table); raises :class:`PackError` only."""
    with _only_pack_errors(path):
        return _parse(data, path, digest)


def pack_from_toml(text: str, path: Path = Path("<text>")) -> CampaignPack:
    """Read a pack from TOML text (handy in tests); raises :class:`PackError` only."""
    with _only_pack_errors(path):
        return _from_bytes(text.encode("utf-8", errors="replace"), path)


@contextmanager
def _only_pack_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except PackError:
        raise
    except Exception as exc:  # a bug in the loader must not stop the booth either
        raise PackError(
            path, [Problem("", f"could not be checked (internal error: {exc!r})")],
            unexpected=True,
        ) from exc


def _parse(data: Mapping[str, Any], path: Path, digest: str) -> CampaignPack:
    if not isinstance(data, Mapping):
        raise PackError(path, [Problem("", "should be a TOML table of settings")])
    version = data.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool):
        try:
            check_format_version(version)
        except ValueError as exc:
            raise PackError(path, [Problem("format_version", str(exc))]) from None
    problems = _reserved_answers(data)
    if problems:
        raise PackError(path, problems)
    try:
        pack = CampaignPack.model_validate(_filled_in(dict(data)))
    except ValidationError as exc:
        raise PackError(path, _problems_from(exc)) from None
    pack._path = path
    pack._digest = digest
    return pack


def _from_bytes(raw: bytes, path: Path) -> CampaignPack:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackError(path, [Problem(
            "", f"is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8"
        )]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(path, [_toml_problem(str(exc))]) from None
    return _parse(data, path, hashlib.sha256(raw).hexdigest())


def _toml_problem(message: str) -> Problem:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if match is None:
        match = re.search(r"\s*\(at end of document\)\s*$", message)
        where = "at the end of the file" if match else ""
    else:
        where = f"line {match.group(1)}, column {match.group(2)}"
    reason = message[: match.start()] if match else message
    return Problem(where, f"this is not valid TOML ({reason})")


def load_pack(path: Path) -> CampaignPack:
    """Read and validate a campaign pack file. Raises :class:`PackError`, never anything else."""
    with _only_pack_errors(path):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise PackError(path, [Problem("", "the file does not exist")]) from None
        except IsADirectoryError:
            raise PackError(path, [Problem("", "is a folder, not a pack file")]) from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise PackError(path, [Problem("", f"cannot be read ({reason})")]) from None
        return _from_bytes(raw, path)


def load_pack_or_default(path: Path, default_path: Path) -> tuple[CampaignPack, PackError | None]:
    """The pack at ``path``, or the default pack and the reason ``path`` could not be used.

    The booth shows the error to the officer and carries on with the default. A broken
    default pack (it ships with the booth and is tested) raises :class:`PackError`.
    """
    try:
        return load_pack(path), None
    except PackError as error:
        if path == default_path:
            raise
        return load_pack(default_path), error
