"""What the answers say: priorities counted by event, area, look and age band, answers
over time, and the CSV export. Withdrawn sessions are gone from the tables already."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from council.workspace.context import Workspace
from council.workspace.models import Priority, Session, VideoAnswer

CSV_COLUMNS = ("event", "date", "device", "area", "look", "age_band", "list", "item",
               "item_label", "videos_ok_to_use", "bundle")
NOT_GIVEN = "not given"


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters; empty means everything."""

    event: str = ""
    area: str = ""
    look: str = ""
    age_band: str = ""

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        def one(name: str) -> str:
            value = query.get(name, "")
            return value[:80] if isinstance(value, str) else ""

        return cls(event=one("event"), area=one("area"), look=one("look"),
                   age_band=one("age_band"))

    def sessions(self) -> QuerySet[Session]:
        found = Session.objects.all()
        if self.event == "none":
            found = found.filter(kiosk_event__isnull=True)
        elif self.event.startswith("ev-"):
            found = found.filter(kiosk_event__event__uid=self.event)
        elif self.event.startswith("kiosk:"):
            found = found.filter(kiosk_event__kiosk_event_id=self.event[6:])
        if self.area:
            found = found.filter(area=self.area)
        if self.look:
            found = found.filter(look=self.look)
        if self.age_band:
            found = found.filter(age_band=self.age_band)
        return found


def event_label(session: Session) -> str:
    kiosk = session.kiosk_event
    if kiosk is None:
        return "no event"
    if kiosk.event is not None:
        return kiosk.event.name
    return kiosk.name or kiosk.kiosk_event_id


def _label(ws: Workspace, key: str) -> str:
    return ws.labels.get(key, key) if key else NOT_GIVEN


def dashboard(ws: Workspace, filters: Filters) -> dict[str, Any]:
    """The numbers every chart draws, as plain data the page hands to Chart.js."""
    sessions = filters.sessions()
    priorities = (Priority.objects.filter(session__in=sessions).values("item_id")
                  .annotate(n=Count("id")).order_by("-n", "item_id"))
    by_day = (sessions.values("recorded_on").annotate(n=Count("id")).order_by("recorded_on"))
    by_look = sessions.values("look").annotate(n=Count("id")).order_by("look")
    by_area = sessions.values("area").annotate(n=Count("id")).order_by("-n", "area")
    by_age = sessions.values("age_band").annotate(n=Count("id")).order_by("age_band")
    top = [row["item_id"] for row in priorities[:6]]
    look_split = (Priority.objects.filter(session__in=sessions, item_id__in=top)
                  .values("item_id", "session__look").annotate(n=Count("id")))
    per_look: dict[str, dict[str, int]] = {}
    for row in look_split:
        per_look.setdefault(row["session__look"], {})[row["item_id"]] = row["n"]
    return {
        "sessions": sessions.count(),
        "ticks": Priority.objects.filter(session__in=sessions).count(),
        "videos": VideoAnswer.objects.filter(session__in=sessions).count(),
        "priorities": {
            "labels": [_label(ws, row["item_id"]) for row in priorities[:15]],
            "values": [row["n"] for row in priorities[:15]],
        },
        "over_time": {
            "labels": [row["recorded_on"].isoformat() if row["recorded_on"] else NOT_GIVEN
                       for row in by_day],
            "values": [row["n"] for row in by_day],
        },
        "looks": {"labels": [row["look"] for row in by_look],
                  "values": [row["n"] for row in by_look]},
        "areas": {"labels": [row["area"] or NOT_GIVEN for row in by_area[:12]],
                  "values": [row["n"] for row in by_area[:12]]},
        "age_bands": {"labels": [_label(ws, row["age_band"]) for row in by_age],
                      "values": [row["n"] for row in by_age]},
        "top_by_look": {
            "labels": [_label(ws, item) for item in top],
            "series": [{"label": look, "values": [per_look.get(look, {}).get(item, 0)
                                                  for item in top]}
                       for look in ("child", "adult", "older")],
        },
    }


def csv_rows(ws: Workspace, filters: Filters) -> Iterator[list[str]]:
    yield list(CSV_COLUMNS)
    sessions = (filters.sessions().select_related("kiosk_event__event")
                .prefetch_related("priorities", "videos").order_by("received_at", "pk"))
    for session in sessions.iterator(chunk_size=500):
        ok = sum(1 for v in session.videos.all() if v.state == VideoAnswer.OK)
        base = [
            event_label(session),
            session.recorded_on.isoformat() if session.recorded_on else "",
            session.device_name or session.device_id,
            session.area or NOT_GIVEN,
            session.look,
            _label(ws, session.age_band),
        ]
        rows: list[Priority | None] = [*session.priorities.all()] or [None]
        for priority in rows:
            if priority is None:
                yield [*base, "", "", "", str(ok), session.bundle_id]
            else:
                yield [*base, priority.list_id, priority.item_id,
                       _label(ws, priority.item_id), str(ok), session.bundle_id]


def csv_text(ws: Workspace, filters: Filters) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(ws, filters):
        writer.writerow([_safe_cell(cell) for cell in row])
    return out.getvalue()


def _safe_cell(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in a spreadsheet: quote it.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
