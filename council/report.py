"""``booth-council report``: the priorities as a CSV and charts."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council import removed
from council.admin import CouncilError, CouncilKeys
from council.decrypt import read_payload
from council.storage import CouncilStorage

NOT_GIVEN = "not given"
CSV_COLUMNS = ("bundle", "look", "area", "age_band", "list", "item")


@dataclass(frozen=True)
class PriorityRow:
    bundle: str
    look: str
    area: str
    age_band: str
    list: str
    item: str


def _age_band(about_you: dict[str, Any]) -> str:
    for key in ("age_band", "older_age", "child_age"):
        value = about_you.get(key)
        if isinstance(value, str) and value:
            return value
    for key, value in sorted(about_you.items()):
        if "age" in key and isinstance(value, str) and value:
            return value
    return NOT_GIVEN


def priority_rows(keys: CouncilKeys, storage: CouncilStorage,
                  problems: list[str] | None = None) -> list[PriorityRow]:
    """Every ticked priority of every bundle, withdrawn ones left out. A bundle that
    cannot be read is left out too and its problem added to ``problems`` (with no list
    given, the first problem is raised after every other bundle is read)."""
    identities = keys.ingest_identities()
    rows: list[PriorityRow] = []
    found: list[str] = []
    gone = removed.read_all(storage.root)
    for bundle in storage.catalogue.list_bundles():
        if bundle.bundle_id in gone and gone[bundle.bundle_id].withdrawn:
            continue
        try:
            payload = read_payload(storage, bundle, identities)
        except CouncilError as exc:
            found.append(str(exc))
            continue
        session = payload.get("session") or {}
        about = payload.get("about_you") or {}
        look = str(session.get("look") or NOT_GIVEN)
        area = about.get("area")
        area_text = area if isinstance(area, str) and area else NOT_GIVEN
        priorities = payload.get("priorities") or {}
        for list_id, items in sorted(priorities.items()):
            for item in items or []:
                rows.append(PriorityRow(bundle.bundle_id, look, area_text, _age_band(about),
                                        str(list_id), str(item)))
    if problems is not None:
        problems.extend(found)
    elif found:
        raise CouncilError(found[0])
    return rows


def _labels(pack_path: Path | None) -> dict[str, str]:
    """Item and answer ids to the words people saw, from the campaign pack when it loads."""
    from booth.pack import PackError, default_pack_path, load_pack

    try:
        pack = load_pack(pack_path or default_pack_path())
    except PackError:
        return {}
    labels: dict[str, str] = {}
    for priority_list in pack.priority_lists:
        for item in priority_list.items:
            labels[item.id] = item.label
    for question in pack.about_you:
        for option in question.options:
            labels.setdefault(option.id, option.label)
    return labels


def _slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part) or "none"


def _bar_chart(title: str, counts: Counter[str], labels: dict[str, str], target: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    ordered = counts.most_common()
    names = [labels.get(key, key) for key, _ in ordered][::-1]
    values = [value for _, value in ordered][::-1]
    figure = Figure(figsize=(8, max(2.5, 0.4 * len(names) + 1.2)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.barh(names, values, color="#1f6f8b")
    axes.set_title(title)
    axes.set_xlabel("people who chose it")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    figure.savefig(target, format="png")


def write_report(keys: CouncilKeys, storage: CouncilStorage, out: Path,
                 pack_path: Path | None = None, problems: list[str] | None = None
                 ) -> list[Path]:
    """priorities.csv plus a bar chart PNG per look (audience) and per area."""
    rows = priority_rows(keys, storage, problems)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "priorities.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([row.bundle, row.look, row.area, row.age_band, row.list, row.item])
    written = [csv_path]
    labels = _labels(pack_path)
    groups: dict[tuple[str, str], Counter[str]] = {}
    for row in rows:
        groups.setdefault(("look", row.look), Counter())[row.item] += 1
        groups.setdefault(("area", row.area), Counter())[row.item] += 1
    for (kind, value), counts in sorted(groups.items()):
        shown = labels.get(value, value)
        title = f"Priorities chosen, {kind}: {shown}"
        target = out / f"chart-{kind}-{_slug(value)}.png"
        _bar_chart(title, counts, labels, target)
        written.append(target)
    return written
