"""Withdraw: a person's answers deleted by the reference code they were given."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from booth.ui.officer.common import LEFT, Section, field_label
from booth.ui.officer.model import OfficerBackend
from booth.ui.widgets import button, label


class WithdrawSection(Section):
    """A reference code and "Withdraw these answers"."""

    title_text = "Withdraw answers"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.body.addWidget(label("When someone asks for their answers to be deleted, type "
                                  "the code from their thank-you screen.", "muted", align=LEFT))
        form = QFormLayout()
        self.withdraw_code = QLineEdit()
        self.withdraw_code.setAccessibleName("Reference code to withdraw")
        self.withdraw_code.setMaxLength(8)
        self.withdraw_code.setPlaceholderText("6 letters and numbers")
        form.addRow(field_label("Reference code"),
                    self.withdraw_code)
        self.body.addLayout(form)
        self.go = button("Withdraw these answers", "stop", accessible="Withdraw these answers")
        self.go.clicked.connect(self._withdraw)
        self.body.addWidget(self.go)
        self.body.addStretch(1)

    def _withdraw(self) -> None:
        code = self.withdraw_code.text().strip()
        if not code:
            self.say("Type the person's reference code first.")
            return
        self.run(lambda: self.backend.withdraw(code))
        self.withdraw_code.clear()

    def left(self) -> None:
        super().left()
        self.withdraw_code.clear()
