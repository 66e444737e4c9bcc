"""Device: room left in hours of video, the battery, camera and microphone, the speech
voice, and the laptop's clock against the council's."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QWidget

from booth.ui.officer.common import CheckRows, Section
from booth.ui.officer.model import OfficerBackend
from booth.ui.widgets import button


class DeviceSection(Section):
    """The laptop's health, with "Check the clock" (which asks the council's server)."""

    title_text = "Device"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.checks = CheckRows()
        self.body.addWidget(self.checks)
        row = QHBoxLayout()
        self.clock_button = button("Check the clock", "secondary",
                                   accessible="Check the clock against the council's")
        self.clock_button.clicked.connect(self._check_clock)
        again = button("Check again", "secondary", accessible="Check the device again")
        again.clicked.connect(self.refresh)
        row.addWidget(self.clock_button)
        row.addWidget(again)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addStretch(1)

    def refresh(self) -> None:
        self.checks.show_lines(self.backend.device())

    def _check_clock(self) -> None:
        def ask() -> str:
            found = self.backend.check_council()
            if found.reachable:
                return "The council server answered."
            return f"The council server did not answer: {found.detail}."

        self.run_in_background(ask, "Asking the council's server…")
