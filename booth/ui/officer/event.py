"""The event: which one runs now, and starting another (typed, or picked from the
council's list of events once the booth has one)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QWidget

from booth.ui.officer.common import LEFT, Section, field_label
from booth.ui.officer.model import CouncilEvent, OfficerBackend
from booth.ui.widgets import button, label

KINDS = (("school", "School"), ("forum", "Forum"), ("public", "Public"))
LOOKS = (("child", "Child"), ("adult", "Grown-up"), ("older", "65 or over"))


class EventSection(Section):
    """Today's event, and the form that starts a new one."""

    title_text = "Event"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self._council_event: CouncilEvent | None = None
        self.current = label("", "body", align=LEFT)
        self.current.setAccessibleName("Today's event")
        self.body.addWidget(self.current)
        form = QFormLayout()
        # The council's signed list of events: picking one fills in the form.
        self.council = QComboBox()
        self.council.setAccessibleName("Events from the council")
        self.council.activated.connect(self._picked)
        self.council_label = label("From the council", "body", wrap=False, align=LEFT)
        form.addRow(self.council_label, self.council)
        self.event_name = QLineEdit()
        self.event_name.setAccessibleName("Event name")
        self.event_name.setPlaceholderText("e.g. Year 5, St Mary's Primary")
        self.event_kind = QComboBox()
        self.event_kind.setAccessibleName("Kind of event")
        for value, text in KINDS:
            self.event_kind.addItem(text, value)
        self.event_look = QComboBox()
        self.event_look.setAccessibleName("Look to start with")
        for value, text in LOOKS:
            self.event_look.addItem(text, value)
        self.event_adult = QCheckBox("Children need a grown-up to say yes too")
        self.event_adult.setChecked(True)
        self.event_adult.setAccessibleName("Children need a grown-up to say yes too")
        form.addRow(field_label("Name"), self.event_name)
        form.addRow(field_label("Kind"), self.event_kind)
        form.addRow(field_label("Look"), self.event_look)
        form.addRow(self.event_adult)
        self.body.addLayout(form)
        row = QHBoxLayout()
        self.start = button("Start this event", "primary", accessible="Start this event")
        self.start.clicked.connect(self._set_up_event)
        self.end_visit = button("End the visit in progress", "stop",
                                accessible="End the visit in progress")
        self.end_visit.clicked.connect(lambda: self.run(self.backend.end_visit))
        row.addWidget(self.start)
        row.addStretch(1)
        row.addWidget(self.end_visit)
        self.body.addLayout(row)
        # How today's event greets each person: the language they start in, and which
        # looks are read aloud without being asked (the child look by default).
        self.voice = QWidget()
        voice = QFormLayout(self.voice)
        voice.setContentsMargins(0, 0, 0, 0)
        voice.addRow(label("Today's event: the language people start in (they can change "
                           "it), and who hears every screen read aloud.", "body", align=LEFT))
        self.language = QComboBox()
        self.language.setAccessibleName("Language each person starts in")
        self.read_aloud = {value: QCheckBox(text) for value, text in LOOKS}
        for value, box in self.read_aloud.items():
            box.setAccessibleName(f"Read every screen aloud: {dict(LOOKS)[value]}")
        boxes = QHBoxLayout()
        for box in self.read_aloud.values():
            boxes.addWidget(box)
        boxes.addStretch(1)
        voice.addRow(field_label("Starts in"), self.language)
        voice.addRow(field_label("Read aloud"), boxes)
        self.save_voice = button("Save for this event", "plain",
                                 accessible="Save the language and reading aloud")
        self.save_voice.clicked.connect(self._save_voice)
        voice.addRow(self.save_voice)
        self.body.addWidget(self.voice)
        self.body.addStretch(1)

    def refresh(self) -> None:
        status = self.backend.status()
        if status.event_name:
            since = f", since {status.event_started}" if status.event_started else ""
            self.current.setText(f"Today's event: {status.event_name} "
                                 f"({status.event_kind}{since}).")
        else:
            self.current.setText("No event yet: name today's event below.")
        self.end_visit.setVisible(status.visit_in_progress)
        events = self.backend.council_events()
        self.council.clear()
        for event in events:
            when = f" ({event.when})" if event.when else ""
            self.council.addItem(f"{event.name}{when}", event)
        self.council.setVisible(bool(events))
        self.council_label.setVisible(bool(events))
        heard = self.backend.event_voice()
        self.voice.setVisible(heard is not None)
        if heard is not None:
            self.language.clear()
            usual = dict(heard.languages).get(heard.pack_language, heard.pack_language)
            self.language.addItem(f"The pack's usual language: {usual}", None)
            for code, name in heard.languages:
                self.language.addItem(name, code)
            self.language.setCurrentIndex(max(0, self.language.findData(heard.language)))
            for value, box in self.read_aloud.items():
                box.setChecked(value in heard.spoken_looks)

    def _save_voice(self) -> None:
        language = self.language.currentData()
        looks = [value for value, box in self.read_aloud.items() if box.isChecked()]
        said = [self.backend.set_event_language(language if language else None),
                self.backend.set_spoken_looks(looks)]
        self.say(" ".join(dict.fromkeys(said)))

    def _picked(self, index: int) -> None:
        event = self.council.itemData(index)
        self._council_event = event
        if event is None:
            return
        self.event_name.setText(event.name)
        found = self.event_kind.findData(event.kind)
        if found >= 0:
            self.event_kind.setCurrentIndex(found)

    def _set_up_event(self) -> None:
        name = self.event_name.text().strip()
        if not name:
            self.say("Give the event a name first.")
            return
        picked = self._council_event
        if picked is not None and picked.name == name:
            # The council's event: its answers count with every other kiosk's there.
            self.run(lambda: self.backend.start_council_event(
                picked.id, str(self.event_look.currentData()), self.event_adult.isChecked()))
            return
        self.run(lambda: self.backend.set_up_event(
            name, str(self.event_kind.currentData()), str(self.event_look.currentData()),
            self.event_adult.isChecked()))
