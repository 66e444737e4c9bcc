"""Background sync for the kiosk: the uploader on a worker thread, news back as Qt signals."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QObject, QTimer, Signal

from booth.settings import Settings
from booth.store import Store
from booth.sync.keys import Credential, CredentialError, DeviceKeys, load_credential_for
from booth.sync.seal import seal_pending
from booth.sync.uploader import NeedsOfficer, SyncStopped, Uploader, UploaderOptions

log = logging.getLogger(__name__)

OFFLINE = "offline"
SYNCING = "syncing"
UP_TO_DATE = "up to date"
NEEDS_OFFICER = "needs officer"
DRAIN_MS = 50
# With nothing to send, the council is still asked for its events list this often (and
# whenever the officer asks to sync), so a new council event reaches the officer's list.
EVENTS_REFRESH_S = 15 * 60.0

_Event = tuple[str, tuple[object, ...]]


class SyncController(QObject):
    """Seals finished sessions and sends bundles off the GUI thread.

    The worker thread never touches a Qt object: it puts news on a queue that a
    GUI-thread timer drains into signals.

    Signals:
        progress(str bundle_id, int sent, int total): bytes of a bundle the server has.
        stateChanged(str): "offline", "syncing", "up to date" or "needs officer: <reason>".
        bundleCommitted(str bundle_id): the council's receipt was verified; copy deleted.
        error(str): something unexpected went wrong (already logged); sync goes on later.
    """

    progress = Signal(str, int, int)
    stateChanged = Signal(str)
    bundleCommitted = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        store: Store,
        settings: Settings,
        device_keys: DeviceKeys,
        *,
        options: UploaderOptions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._settings = settings
        self._device = device_keys
        self._options = options or UploaderOptions(timeout=15.0)
        self._news: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._credential: Credential | None = None  # worker thread only
        self._last_exchange: float | None = None  # worker thread only (monotonic)
        self._asked = threading.Event()  # the officer asked: talk to the council
        self._interval: float | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.state = OFFLINE
        self._drain = QTimer(self)
        self._drain.setInterval(DRAIN_MS)
        self._drain.timeout.connect(self._deliver)

    # ------------------------------------------------------------------ GUI thread

    def sync_now(self) -> None:
        """Seal and send now (the officer asks, or a session ended)."""
        self._asked.set()
        self._ensure_worker()
        self._wake.set()

    def session_finished(self, session_id: str) -> None:
        """A session finished, or ended partly answered: seal it into a bundle and send
        it, off the GUI thread. The one way a session reaches sealing while the booth
        runs; those finished before a crash are sealed when the worker first wakes."""
        log.info("session %s handed over to be sealed and sent", session_id)
        self.sync_now()

    def start_background(self, interval: float) -> None:
        """Also try every ``interval`` seconds (backoff still applies while offline)."""
        self._interval = interval
        self._ensure_worker()
        self._wake.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the worker (mid-upload is fine: the next start resumes) and wait for it."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("sync worker still busy after %.0f s; leaving it to exit", timeout)
        self._drain.stop()
        self._deliver()

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="booth-sync",
                                                daemon=True)
                self._thread.start()
        if not self._drain.isActive():
            self._drain.start()

    def _deliver(self) -> None:
        while True:
            try:
                kind, args = self._news.get_nowait()
            except queue.Empty:
                return
            if kind == "state":
                self.state = str(args[0])
                self.stateChanged.emit(self.state)
            elif kind == "progress":
                bundle_id, sent, total = args
                self.progress.emit(str(bundle_id), cast(int, sent), cast(int, total))
            elif kind == "committed":
                self.bundleCommitted.emit(str(args[0]))
            elif kind == "error":
                self.error.emit(str(args[0]))

    # ------------------------------------------------------------------ worker thread

    def _post(self, kind: str, *args: object) -> None:
        self._news.put((kind, args))

    def _sleep(self, seconds: float) -> None:
        """Backoff waits end early when the officer asks to sync now, or at shutdown.
        Each wake also seals sessions finished meanwhile: while the server is away the
        uploader retries for ever, and a finished session should not wait that long to
        be sealed."""
        self._wake.wait(seconds)
        self._wake.clear()
        if not self._stop.is_set():
            self._seal_pending()

    def _seal_pending(self) -> None:
        credential = self._credential
        if credential is None:
            return
        try:
            seal_pending(self._store, self._settings.paths, self._device, credential)
        except Exception:  # sealing is retried on the next wake and at start-up
            log.exception("sealing finished sessions failed")

    def _work(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self._sync_once()
            except SyncStopped:
                break
            except Exception as exc:  # the worker must survive anything; it is logged
                log.exception("background sync failed")
                self._post("error", f"sync failed: {exc}")
                self._post("state", OFFLINE)

    def _events_due(self) -> bool:
        last = self._last_exchange
        return last is None or time.monotonic() - last >= EVENTS_REFRESH_S

    def _sync_once(self) -> None:
        try:
            credential = load_credential_for(self._settings)
        except CredentialError as exc:
            self._post("state", f"{NEEDS_OFFICER}: the booth's credential is damaged ({exc})")
            return
        if credential is None:
            self._post("state", f"{NEEDS_OFFICER}: this booth is not enrolled yet")
            return
        self._credential = credential
        seal_pending(self._store, self._settings.paths, self._device, credential)
        if not self._store.bundles_in_state("sealed", "uploading", "committed") and not (
            self._store.withdrawals_to_forward() or self._asked.is_set() or self._events_due()
        ):
            self._post("state", UP_TO_DATE)
            return
        self._asked.clear()
        post: Callable[..., None] = self._post
        uploader = Uploader(
            self._store, credential, self._device,
            options=self._options,
            sleep=self._sleep,
            stop=self._stop,
            on_progress=lambda b, s, t: post("progress", b, s, t),
            on_committed=lambda b: post("committed", b),
            on_state=lambda s: post("state", s),
        )
        try:
            report = uploader.run()
        except NeedsOfficer as exc:
            self._post("state", f"{NEEDS_OFFICER}: {exc}")
            return
        finally:
            uploader.close()
        self._last_exchange = time.monotonic()
        if report.quarantined:
            self._post("state", f"{NEEDS_OFFICER}: {len(report.quarantined)} damaged "
                       "bundle(s) set aside")
            return
        self._post("state", UP_TO_DATE)
