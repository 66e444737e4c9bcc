"""History: the audit log, newest first, in the officer's words."""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget, QWidget

from booth.ui.officer.common import Section
from booth.ui.officer.model import OfficerBackend

SHOWN = 200


class HistorySection(Section):
    """What officers did on this booth (it also travels to the council, in bundles)."""

    title_text = "History"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.lines = QListWidget()
        self.lines.setAccessibleName("Officer actions, newest first")
        self.lines.setWordWrap(True)
        self.body.addWidget(self.lines, 1)

    def refresh(self) -> None:
        self.lines.clear()
        for line in self.backend.history(SHOWN):
            detail = f": {line.detail}" if line.detail else ""
            self.lines.addItem(f"{line.at}  {line.action}{detail}")

    def texts(self) -> list[str]:
        return [self.lines.item(row).text() for row in range(self.lines.count())]
