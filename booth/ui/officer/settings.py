"""PIN and pack: a new officer PIN (typed twice), and switching the campaign pack to one
found on a USB stick or on this laptop, offered by name."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from booth.ui.officer.common import LEFT, Section, field_label, offer_files
from booth.ui.officer.model import OfficerBackend
from booth.ui.widgets import button, label
from booth.wire.pin import PIN_MAX_DIGITS, PIN_MIN_DIGITS


def pin_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(PIN_MAX_DIGITS)
    field.setAccessibleName(name)
    field.setPlaceholderText(name)
    return field


class SettingsSection(Section):
    """Change the PIN; switch the campaign pack."""

    title_text = "PIN and campaign pack"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        form = QFormLayout()
        self.new_pin = pin_field(f"New PIN ({PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits)")
        self.new_pin_again = pin_field("The new PIN again")
        form.addRow(field_label("New PIN"), self.new_pin)
        form.addRow(field_label("Again"), self.new_pin_again)
        self.body.addLayout(form)
        self.change = button("Change PIN", "primary", accessible="Change the PIN")
        self.change.clicked.connect(self._change_pin)
        self.body.addWidget(self.change)
        self.body.addWidget(label("Campaign packs found on USB sticks and on this laptop:",
                                  "body", align=LEFT))
        self.none = label("No campaign pack found. Put the pack's .toml file on a USB stick, "
                          "plug it in, then press “Look again”.", "muted", align=LEFT)
        self.body.addWidget(self.none)
        self.pack_rows = QHBoxLayout()
        self.body.addLayout(self.pack_rows)
        self.pack_buttons: list[QPushButton] = []
        again = button("Look again", "secondary", accessible="Look for campaign packs again")
        again.clicked.connect(self.refresh)
        self.body.addWidget(again)
        self.body.addStretch(1)

    def refresh(self) -> None:
        packs = self.backend.packs()
        self.pack_buttons = offer_files(
            self.pack_rows, self.pack_buttons, packs,
            lambda pack: (f"{pack.name}\n{pack.where}",
                          f"Use the pack {pack.name} from {pack.where}"),
            "secondary", self._switch_pack)
        self.none.setVisible(not packs)

    def _switch_pack(self, path: str) -> None:
        self.run(lambda: self.backend.switch_pack(path))

    def _change_pin(self) -> None:
        pin, again = self.new_pin.text(), self.new_pin_again.text()
        self.new_pin.clear()
        self.new_pin_again.clear()
        self.run(lambda: self.backend.change_pin(pin, again))

    def left(self) -> None:
        super().left()
        self.new_pin.clear()
        self.new_pin_again.clear()
