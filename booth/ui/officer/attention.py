"""Needs attention: what stops the booth (with the plain fix), and the bundles set aside
as damaged, each with try again, export or discard behind a second PIN check."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from booth.ui.officer.common import LEFT, PinRecheck, Section, StickPicker
from booth.ui.officer.model import Attention, OfficerBackend
from booth.ui.widgets import button, label


class _Item(QFrame):
    """One thing that needs the officer; a set-aside bundle gets its three actions."""

    def __init__(self, item: Attention, section: AttentionSection) -> None:
        super().__init__()
        self.item = item
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.addWidget(label(item.title, "body", align=LEFT))
        layout.addWidget(label(item.reason, "muted", align=LEFT))
        self.buttons: dict[str, QWidget] = {}
        if item.bundle_id is None:
            return
        bundle_id = item.bundle_id
        row = QHBoxLayout()
        for key, text in (("retry", "Try again"), ("export", "Export…"),
                          ("discard", "Discard…")):
            act = button(text, "secondary", accessible=f"{text.rstrip('…')} this bundle")
            act.clicked.connect(lambda _=False, k=key: section.ask(bundle_id, k))
            row.addWidget(act)
            self.buttons[key] = act
        row.addStretch(1)
        layout.addLayout(row)


class AttentionSection(Section):
    """The list, and the PIN re-check an action asks for before it runs."""

    title_text = "Needs attention"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.none = label("Nothing needs you. ✓", "body", align=LEFT)
        self.body.addWidget(self.none)
        self.list = QVBoxLayout()
        self.body.addLayout(self.list)
        self.confirm_words = label("", "body", align=LEFT)
        self.body.addWidget(self.confirm_words)
        self.sticks = StickPicker(backend.usb_sticks, "Copy to")
        self.sticks.chosen.connect(self._stick_chosen)
        self.body.addWidget(self.sticks)
        self.recheck = PinRecheck("Confirm")
        self.recheck.confirmed.connect(self._confirmed)
        self.body.addWidget(self.recheck)
        self.cancel = button("Cancel", "secondary", accessible="Cancel")
        self.cancel.clicked.connect(self._cancel)
        self.body.addWidget(self.cancel)
        self.body.addStretch(1)
        self.items: list[_Item] = []
        self._asked: tuple[str, str] | None = None
        self._stick: str | None = None
        self._cancel()

    def count(self) -> int:
        return len(self.items)

    def refresh(self) -> None:
        for old in self.items:
            self.list.removeWidget(old)
            old.deleteLater()
        self.items = [_Item(item, self) for item in self.backend.attention()]
        for widget in self.items:
            self.list.addWidget(widget)
            widget.show()
        self.none.setVisible(not self.items)

    def ask(self, bundle_id: str, action: str) -> None:
        """An action on a set-aside bundle: first the stick (for export), then the PIN."""
        self._asked = (bundle_id, action)
        self._stick = None
        words = {"retry": "Check this bundle again and send it if it is whole now?",
                 "export": "Copy this bundle to a USB stick for the council's team?",
                 "discard": "Delete this bundle's answers from the booth for good?"}[action]
        self.confirm_words.setText(words + " Type your PIN to confirm.")
        self.confirm_words.show()
        choosing = action == "export"
        self.sticks.setVisible(choosing)
        if choosing:
            self.sticks.refresh()
        self.recheck.setVisible(not choosing)
        self.cancel.show()
        self.recheck.pin.setFocus()

    def _stick_chosen(self, path: str) -> None:
        self._stick = path
        self.sticks.hide()
        self.recheck.show()
        self.recheck.pin.setFocus()

    def _confirmed(self, pin: str) -> None:
        if self._asked is None:
            return
        bundle_id, action = self._asked
        if not self.backend.check_pin(pin, f"recheck before {action}"):
            self.say("That PIN is not right, so nothing was done.")
            return
        stick = self._stick
        self._cancel()
        calls: dict[str, Callable[[], str]] = {
            "retry": lambda: self.backend.retry_bundle(bundle_id),
            "discard": lambda: self.backend.discard_bundle(bundle_id),
            "export": lambda: self.backend.export_bundle(bundle_id, stick or ""),
        }
        if action == "export":
            self.run_in_background(calls[action], "Copying to the stick…")
        else:
            self.run(calls[action])

    def _cancel(self) -> None:
        self._asked = None
        self._stick = None
        for widget in (self.confirm_words, self.sticks, self.recheck, self.cancel):
            widget.hide()

    def left(self) -> None:
        super().left()
        self._cancel()
