"""Background sync seals finished sessions even while the council server is away."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from booth.settings import Settings
from booth.sync import uploader
from booth.sync.qt import OFFLINE, SyncController
from booth.wire import bundle
from tests.helpers.council import CouncilServer, council_server
from tests.helpers.sync import Kiosk, enrolled_kiosk, finished_session

__all__ = ["council_server"]


@pytest.fixture
def kiosk(settings: Settings, council_server: CouncilServer) -> Iterator[Kiosk]:
    with enrolled_kiosk(settings.paths, council_server) as made:
        yield made


def test_a_session_finished_while_offline_is_sealed_without_waiting_for_the_server(
    kiosk: Kiosk, settings: Settings, qtbot: QtBot
) -> None:
    kiosk.seal_one()
    offline = settings.with_changes(server_url="http://127.0.0.1:9")
    controller = SyncController(kiosk.store, offline, kiosk.device,
                                options=uploader.UploaderOptions(timeout=2))
    try:
        with qtbot.waitSignal(controller.stateChanged, timeout=10_000,
                              check_params_cb=lambda s: s == OFFLINE):
            controller.start_background(60.0)
        # The uploader is now backing off; a participant finishes meanwhile.
        session_id, _ = finished_session(kiosk.store, kiosk.credential.recipients)
        assert session_id in kiosk.store.sessions_to_seal()
        controller.sync_now()
        qtbot.waitUntil(lambda: not kiosk.store.sessions_to_seal(), timeout=10_000)
    finally:
        controller.shutdown()
    rows = kiosk.store.bundles_in_state("sealed", "uploading")
    assert len(rows) == 2
    assert session_id in {row.session_id for row in rows}
    for row in rows:
        assert bundle.verify_bundle_dir(kiosk.paths.bundles / row.id) == []
