"""Today: the event and its counts, what waits to be sent, and ending a visit that is
still in progress (someone walked off and the screen waits for them)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QWidget

from booth.ui.officer.common import LEFT, Section
from booth.ui.officer.model import OfficerBackend, OfficerStatus
from booth.ui.widgets import button, label

log = logging.getLogger(__name__)

ROWS = (("event", "Event"), ("sessions", "People who took part"), ("videos", "Video answers"),
        ("waiting", "Waiting to sync"), ("sync", "Sync"), ("pack", "Campaign pack"))


def status_words(status: OfficerStatus) -> dict[str, str]:
    event = "No event set up yet"
    if status.event_name:
        event = f"{status.event_name} ({status.event_kind})"
    return {
        "event": event,
        "sessions": str(status.sessions),
        "videos": str(status.video_answers),
        "waiting": str(status.waiting_to_sync),
        "sync": status.sync_state,
        "pack": status.pack_name + (f" (problem: {status.pack_problem})"
                                    if status.pack_problem else ""),
    }


class TodaySection(Section):
    """The counts for today's event, and "End this visit"."""

    title_text = "Today"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        form = QFormLayout()
        self.values: dict[str, QWidget] = {}
        for key, text in ROWS:
            value = label("", "body", align=LEFT)
            value.setAccessibleName(text)
            self.values[key] = value
            form.addRow(label(text, "body", wrap=False, align=LEFT), value)
        self.body.addLayout(form)
        self.visit = label("", "body", align=LEFT)
        self.body.addWidget(self.visit)
        row = QHBoxLayout()
        self.end_visit = button("End this visit", "stop", accessible="End the visit in progress")
        self.end_visit.clicked.connect(lambda: self.run(self.backend.end_visit))
        refresh = button("Refresh", "secondary", accessible="Refresh the counts")
        refresh.clicked.connect(self.refresh)
        row.addWidget(self.end_visit)
        row.addStretch(1)
        row.addWidget(refresh)
        self.body.addLayout(row)
        self.body.addStretch(1)

    def refresh(self) -> None:
        try:
            status = self.backend.status()
        except Exception as error:  # the console must stay usable when a count fails
            log.exception("officer status failed")
            self.say(f"Could not read the counts: {error}")
            return
        for key, text in status_words(status).items():
            self.values[key].setProperty("text", text)
        self.visit.setText("Someone is using the booth now." if status.visit_in_progress
                           else "Nobody is using the booth.")
        self.end_visit.setVisible(status.visit_in_progress)

    def text_of(self, key: str) -> str:
        return str(self.values[key].property("text"))
