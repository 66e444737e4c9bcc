"""Sealing sessions into bundles: contents, encryption, and what a crash at each step leaves."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from booth.files import file_sha256
from booth.settings import Settings
from booth.store import Store
from booth.sync import seal
from booth.sync.keys import Credential, DeviceKeys
from booth.wire import age, bundle
from tests.helpers.sync import (
    CouncilAgeKeys,
    FullDisk,
    finished_session,
    make_council_age_keys,
    make_credential,
)

STEPS = ["staging", "payload", "videos", "manifest", "renamed", "committed", "done"]


class Crash(Exception):
    """Stands in for the process dying at a step (seal_session has no cleanup handlers)."""


@pytest.fixture
def council(tmp_path: Path) -> CouncilAgeKeys:
    return make_council_age_keys(tmp_path / "council")


@pytest.fixture
def credential(council: CouncilAgeKeys) -> Credential:
    return make_credential(council.recipients)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings.paths)
    yield opened
    opened.close()


def test_sealed_bundle_verifies_and_the_council_can_read_it(
    store: Store, settings: Settings, council: CouncilAgeKeys, credential: Credential
) -> None:
    device = DeviceKeys.load_or_create(settings.paths)
    session_id, plains = finished_session(store, council.recipients, videos=2)
    bundle_id = seal.seal_session(store, settings.paths, device, credential, session_id)

    folder = settings.paths.bundles / bundle_id
    assert bundle.verify_bundle_dir(folder, device.public_b64) == []
    manifest = bundle.read_manifest(folder)
    assert [b.kind for b in manifest.blobs] == ["payload", "video", "video"]
    assert manifest.device_id == credential.device_id
    row = store.get_bundle(bundle_id)
    assert row is not None and row.state == "sealed"
    assert bundle.Manifest.parse(row.manifest_json) == manifest

    payload_blob = bundle.blob_path(folder, manifest.payload.sha256).read_bytes()
    payload = json.loads(age.decrypt_bytes(payload_blob, [council.ingest_identity]))
    assert payload["bundle_id"] == bundle_id
    assert payload["session"]["id"] == session_id
    assert payload["priorities"] == {"children": ["parks", "libraries"]}
    assert payload["about_you"] == {"age": "5-11", "area": "prefer_not"}
    assert payload["consent"]["pack_id"] == "one_stockport"
    assert payload["consent"]["language"] == "en"  # the language the consent was read in
    assert [t["blob_sha256"] for t in payload["takes"]] == [b.sha256 for b in manifest.blobs[1:]]

    videos = [bundle.blob_path(folder, b.sha256).read_bytes() for b in manifest.blobs[1:]]
    assert [age.decrypt_bytes(v, [council.escrow_identity]) for v in videos] == plains
    # The take files moved into the bundle: nothing is left behind in takes/.
    assert list(settings.paths.takes.iterdir()) == []
    # Sealing again is a no-op that names the same bundle.
    assert seal.seal_session(store, settings.paths, device, credential, session_id) == bundle_id


def test_manifest_on_disk_holds_no_personal_data(
    store: Store, settings: Settings, council: CouncilAgeKeys, credential: Credential
) -> None:
    device = DeviceKeys.load_or_create(settings.paths)
    session_id, _ = finished_session(store, council.recipients)
    bundle_id = seal.seal_session(store, settings.paths, device, credential, session_id)
    text = (settings.paths.bundles / bundle_id / bundle.MANIFEST_NAME).read_text()
    reference = store.get_session(session_id)
    assert reference is not None and reference.reference_code
    for secret in (session_id, reference.reference_code, "parks", "prefer_not", "5-11"):
        assert secret not in text


def test_an_unfinished_session_is_not_sealed(
    store: Store, settings: Settings, council: CouncilAgeKeys, credential: Credential
) -> None:
    from tests.helpers.store import open_consented_session, start_event

    session_id = open_consented_session(store, start_event(store))
    with pytest.raises(seal.SealError, match="not finished"):
        seal.seal_session(
            store, settings.paths, DeviceKeys.load_or_create(settings.paths), credential,
            session_id,
        )


def test_a_damaged_take_stops_sealing_with_a_reason(
    store: Store, settings: Settings, council: CouncilAgeKeys, credential: Credential
) -> None:
    session_id, _ = finished_session(store, council.recipients)
    [take] = store.takes_for_session(session_id)
    path = settings.paths.takes / take.file_name
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(seal.SealError, match="damaged"):
        seal.seal_session(
            store, settings.paths, DeviceKeys.load_or_create(settings.paths), credential,
            session_id,
        )
    assert store.bundles_in_state(*seal.ALL_BUNDLE_STATES) == []


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_leaves_no_bundle_or_a_complete_one(
    settings: Settings, council: CouncilAgeKeys, credential: Credential, step: str
) -> None:
    paths = settings.paths
    device = DeviceKeys.load_or_create(paths)
    with Store.open(paths) as store:
        session_id, plains = finished_session(store, council.recipients)

        def crash_at(reached: str) -> None:
            if reached == step:
                raise Crash(reached)

        with pytest.raises(Crash):
            seal.seal_session(store, paths, device, credential, session_id, hook=crash_at)

    # Start-up after the crash: the store's reconcile, then the bundles'.
    with Store.open(paths) as store:
        store.reconcile()
        seal.reconcile_bundles(store, paths)
        rows = store.bundles_in_state(*seal.ALL_BUNDLE_STATES)
        folders = [f for f in paths.bundles.iterdir()]
        assert [f.name for f in folders] == [r.id for r in rows]
        if rows:
            assert store.sessions_to_seal() == []
        else:
            assert store.sessions_to_seal() == [session_id]
        # Sealing now (again, or for the first time) gives exactly one intact bundle.
        bundle_id = seal.seal_session(store, paths, device, credential, session_id)
        folder = paths.bundles / bundle_id
        assert bundle.verify_bundle_dir(folder, device.public_b64) == []
        assert len(store.bundles_in_state(*seal.ALL_BUNDLE_STATES)) == 1
        assert [p.name for p in paths.bundles.iterdir()] == [bundle_id]
        manifest = bundle.read_manifest(folder)
        [video] = [b for b in manifest.blobs if b.kind == "video"]
        data = bundle.blob_path(folder, video.sha256).read_bytes()
        assert age.decrypt_bytes(data, [council.ingest_identity]) == plains[0]
        assert list(paths.takes.iterdir()) == []
        assert store.integrity_check() == "ok"


def test_a_full_disk_while_sealing_is_a_clear_error_and_loses_nothing(
    store: Store, settings: Settings, council: CouncilAgeKeys, credential: Credential
) -> None:
    device = DeviceKeys.load_or_create(settings.paths)
    session_id, plains = finished_session(store, council.recipients)

    def full_disk(path: Path) -> BinaryIO:
        return cast(BinaryIO, FullDisk(path, room=100))

    with pytest.raises(seal.SealError, match="disk is full"):
        seal.seal_session(store, settings.paths, device, credential, session_id, opener=full_disk)
    # Nothing half-made is left, the answer is still in takes/, the session still waits.
    assert list(settings.paths.bundles.iterdir()) == []
    assert store.sessions_to_seal() == [session_id]
    [take] = store.takes_for_session(session_id)
    assert take.state == "kept"
    assert file_sha256(settings.paths.takes / take.file_name) == (take.size, take.sha256)
    # Once there is room again, sealing works and the council reads the same video.
    bundle_id = seal.seal_session(store, settings.paths, device, credential, session_id)
    manifest = bundle.read_manifest(settings.paths.bundles / bundle_id)
    [video] = [b for b in manifest.blobs if b.kind == "video"]
    data = bundle.blob_path(settings.paths.bundles / bundle_id, video.sha256).read_bytes()
    assert age.decrypt_bytes(data, [council.ingest_identity]) == plains[0]


def test_sealing_the_same_session_from_two_threads_makes_one_bundle(
    store: Store, settings: Settings, council: CouncilAgeKeys, credential: Credential
) -> None:
    device = DeviceKeys.load_or_create(settings.paths)
    session_id, _ = finished_session(store, council.recipients)
    results: list[str] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        results.append(seal.seal_session(store, settings.paths, device, credential, session_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    assert [b.id for b in store.bundles_in_state(*seal.ALL_BUNDLE_STATES)] == [results[0]]
    assert [p.name for p in settings.paths.bundles.iterdir()] == [results[0]]


def _payload(settings: Settings, council: CouncilAgeKeys, bundle_id: str) -> dict[str, object]:
    folder = settings.paths.bundles / bundle_id
    manifest = bundle.read_manifest(folder)
    blob = bundle.blob_path(folder, manifest.payload.sha256).read_bytes()
    loaded: dict[str, object] = json.loads(age.decrypt_bytes(blob, [council.ingest_identity]))
    return loaded


def test_the_officers_actions_travel_in_the_next_bundle_once(
    store: Store, settings: Settings, council: CouncilAgeKeys, credential: Credential
) -> None:
    """The kiosk's audit log reaches the council inside the sealed payload: each entry in
    one bundle (the next sealed after it), oldest first, with the kiosk's id for it."""
    device = DeviceKeys.load_or_create(settings.paths)
    store.audit("unlock")
    store.audit("wrong_pin", "unlock, 1 in a row")
    first, _ = finished_session(store, council.recipients, videos=0)
    sent = _payload(settings, council,
                    seal.seal_session(store, settings.paths, device, credential, first))
    audit = cast(list[dict[str, object]], sent["device_audit"])
    actions = [entry["action"] for entry in audit]
    assert actions.index("unlock") < actions.index("wrong_pin")
    assert all(set(entry) == {"id", "at", "action", "detail"} for entry in audit)
    ids = [cast(int, entry["id"]) for entry in audit]
    assert ids == sorted(ids)
    store.audit("sync_now")
    second, _ = finished_session(store, council.recipients, videos=0)
    again = _payload(settings, council,
                     seal.seal_session(store, settings.paths, device, credential, second))
    later = cast(list[dict[str, object]], again["device_audit"])
    assert "sync_now" in [entry["action"] for entry in later]
    assert not {cast(int, e["id"]) for e in later} & set(ids)  # nothing sent twice
