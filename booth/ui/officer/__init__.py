"""The officer's side of the kiosk: the PIN pad and its guard (no default PIN, a lock-out
that survives a restart), the officer console (a section a module: checklist, today,
event, sync, needs attention, device, history, withdraw, PIN and pack, turning off) and
the first-run setup. The backend they ask is ``booth.desk.OfficerDesk``."""

from booth.ui.officer.guard import (
    DEMO_PIN,
    LOCK_SECONDS,
    MAX_WRONG,
    PIN_META_KEY,
    MetaStore,
    PinGuard,
)
from booth.ui.officer.model import (
    Attention,
    CheckLine,
    CouncilCheck,
    CouncilEvent,
    EventVoice,
    FileChoice,
    HistoryLine,
    OfficerBackend,
    OfficerStatus,
    SetupState,
    SyncReport,
)
from booth.ui.officer.panel import OfficerPanel
from booth.ui.officer.pinpad import PinPad
from booth.ui.officer.setup import SetupScreen
from booth.wire.pin import hash_pin, verify_pin

__all__ = [
    "DEMO_PIN",
    "LOCK_SECONDS",
    "MAX_WRONG",
    "PIN_META_KEY",
    "Attention",
    "CheckLine",
    "CouncilCheck",
    "CouncilEvent",
    "EventVoice",
    "FileChoice",
    "HistoryLine",
    "MetaStore",
    "OfficerBackend",
    "OfficerPanel",
    "OfficerStatus",
    "PinGuard",
    "PinPad",
    "SetupScreen",
    "SetupState",
    "SyncReport",
    "hash_pin",
    "verify_pin",
]
