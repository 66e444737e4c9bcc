"""Reading a campaign pack: TOML in (the pack and a translation file per language), a
validated pack or a PackError that names the file, the field and the problem."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from booth import i18n
from booth.i18n import SOURCE_LANGUAGE
from booth.pack.errors import PackError, Problem, problems_from, read_toml
from booth.pack.model import (
    PREFER_NOT_TO_SAY_ID,
    PREFER_NOT_TO_SAY_LABEL,
    RETENTION_PLACEHOLDER,
    SOMEWHERE_ELSE_ID,
    SOMEWHERE_ELSE_LABEL,
    CampaignPack,
    area_id,
    check_format_version,
)
from booth.pack.translations import add_translations

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


# --------------------------------------------------------------------------- loading


def _added_labels(language: str) -> tuple[str, str]:
    """The answers the booth adds ("Somewhere else", "Prefer not to say") in ``language``:
    they are the booth's own words, so they come from its catalogue, not from the pack."""
    try:
        words = i18n.catalogue(language)
    except i18n.UnknownLanguage:  # the languages check names it; carry on in English
        words = i18n.catalogue(SOURCE_LANGUAGE)
    return words.tr(SOMEWHERE_ELSE_LABEL), words.tr(PREFER_NOT_TO_SAY_LABEL)


def _filled_in(data: dict[str, Any], language: str | None = None,
               area_ids: list[str] | None = None) -> dict[str, Any]:
    """The raw pack with what the loader adds: fixed answers, area answers, retention days.

    ``language`` is the one the table's words are in (the pack file's first language unless
    given); ``area_ids`` are the ids of the areas' answers when the areas are a translation
    (the ids of the pack's own language, so an answer counts the same in every language)."""
    data = dict(data)
    if language is None:
        languages = data.get("languages")
        language = (languages[0] if isinstance(languages, list) and languages
                    and isinstance(languages[0], str) else SOURCE_LANGUAGE)
    somewhere_else, prefer_not_to_say = _added_labels(language)
    areas = data.get("areas", [])
    area_names = (
        [a for a in areas if isinstance(a, str)] if isinstance(areas, list) else []
    )
    ids = area_ids if area_ids is not None else [area_id(a) for a in area_names]
    questions = data.get("about_you")
    if isinstance(questions, list):
        completed: list[Any] = []
        for question in questions:
            if isinstance(question, dict) and isinstance(question.get("options", []), list):
                options = list(question.get("options", []))
                if question.get("use_areas") is True:
                    options += [{"id": i, "label": a.strip()}
                            for i, a in zip(ids, area_names, strict=True)]
                    options.append({"id": SOMEWHERE_ELSE_ID, "label": somewhere_else})
                options.append({"id": PREFER_NOT_TO_SAY_ID, "label": prefer_not_to_say})
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


def _parse(data: Mapping[str, Any], path: Path, digest: str,
           raw: bytes | None = None, translations: bool = True) -> CampaignPack:
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
        raise PackError(path, problems_from(exc)) from None
    pack._path = path
    pack._digest = digest
    pack._language = pack.languages[0]
    # Only a pack that is right in its own language is read in the others: a mistake in the
    # pack is named once, where it is, not again in every translation.
    if translations:
        add_translations(pack, data, path, raw, _filled_in)
    return pack


def _from_bytes(raw: bytes, path: Path) -> CampaignPack:
    return _parse(read_toml(raw, path), path, hashlib.sha256(raw).hexdigest(), raw)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PackError(path, [Problem("", "the file does not exist")]) from None
    except IsADirectoryError:
        raise PackError(path, [Problem("", "is a folder, not a pack file")]) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PackError(path, [Problem("", f"cannot be read ({reason})")]) from None


def load_pack(path: Path) -> CampaignPack:
    """Read and validate a campaign pack file and the translation file of each of its other
    languages. Raises :class:`PackError`, never anything else."""
    with _only_pack_errors(path):
        return _from_bytes(_read(path), path)


def pack_table(path: Path) -> dict[str, Any]:
    """The pack file's own table, checked in its own language only: what a translation file
    for a new language is written from. Raises :class:`PackError`."""
    with _only_pack_errors(path):
        raw = _read(path)
        data = read_toml(raw, path)
        _parse(data, path, hashlib.sha256(raw).hexdigest(), raw, translations=False)
        return data


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
