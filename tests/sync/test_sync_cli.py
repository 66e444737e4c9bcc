"""``booth enrol``, ``booth sync`` and ``booth export`` with receipts coming back on the stick."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from booth.settings import Settings
from booth.store import Store
from booth.sync import cli, seal
from booth.sync.keys import DeviceKeys, load_credential
from booth.wire import bundle, usb
from council.importer import import_folder
from tests.helpers.council import CouncilServer, running_council
from tests.helpers.sync import council_reads_video, finished_session


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CouncilServer]:
    with running_council(tmp_path / "council") as running:
        yield running


@pytest.fixture
def enrolled(settings: Settings, server: CouncilServer, tmp_path: Path) -> Settings:
    assert cli.enrol_main(settings, server.enrol_to_file(tmp_path / "usb")) == cli.EXIT_OK
    return settings


def _finish_sessions(settings: Settings, count: int) -> list[list[bytes]]:
    credential = load_credential(settings.paths)
    assert credential is not None
    with Store.open(settings.paths) as store:
        return [finished_session(store, credential.recipients)[1] for _ in range(count)]


def test_enrol_installs_the_credential_and_checks_the_server(
    settings: Settings, server: CouncilServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = server.enrol_to_file(tmp_path / "usb")
    assert cli.enrol_main(settings, file) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "Enrolled as" in out and "syncing will work" in out
    credential = load_credential(settings.paths)
    assert credential is not None and credential.server_url == server.url


def test_enrol_refuses_a_bad_file(settings: Settings, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1}')
    assert cli.enrol_main(settings, bad) == cli.EXIT_SETUP
    assert "Could not enrol" in capsys.readouterr().out
    assert load_credential(settings.paths) is None


def test_sync_seals_and_sends_everything(
    enrolled: Settings, server: CouncilServer, capsys: pytest.CaptureFixture[str]
) -> None:
    videos = _finish_sessions(enrolled, 2)
    assert cli.sync_main(enrolled) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "Sent 2 bundle(s)" in out
    assert len(server.bundles()) == 2
    with Store.open(enrolled.paths) as store:
        assert [b.state for b in store.bundles_in_state(*seal.ALL_BUNDLE_STATES)] == ["purged"] * 2
    reviewed = {hashlib.sha256(v[0]).hexdigest() for v in videos}
    decrypted = set()
    for stored in server.bundles():
        manifest = bundle.Manifest.parse(stored.manifest_json)
        for blob in manifest.blobs:
            if blob.kind == "video":
                decrypted.add(hashlib.sha256(council_reads_video(server, blob.sha256)).hexdigest())
    assert decrypted == reviewed
    assert cli.sync_main(enrolled) == cli.EXIT_OK
    assert "Nothing to send" in capsys.readouterr().out


def test_sync_without_enrolment_says_what_to_do(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.sync_main(settings) == cli.EXIT_SETUP
    assert "booth enrol" in capsys.readouterr().out


def test_sync_while_the_booth_runs_is_refused_politely(
    enrolled: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(enrolled.paths):
        assert cli.sync_main(enrolled) == cli.EXIT_SETUP
    assert "close it" in capsys.readouterr().out


def test_sync_offline_keeps_everything(
    enrolled: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    _finish_sessions(enrolled, 1)
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    offline = enrolled.with_changes(server_url="http://127.0.0.1:9")
    assert cli.sync_main(offline, give_up_after=1) == cli.EXIT_NOT_NOW
    assert "Nothing is lost" in capsys.readouterr().out
    with Store.open(enrolled.paths) as store:
        [row] = store.bundles_in_state("sealed")
        assert bundle.verify_bundle_dir(enrolled.paths.bundles / row.id) == []


def test_usb_export_import_and_receipts_back(
    enrolled: Settings, server: CouncilServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    videos = _finish_sessions(enrolled, 2)
    stick = tmp_path / "stick"
    assert cli.export_main(enrolled, stick) == cli.EXIT_OK
    assert "Exported 2 bundle(s)" in capsys.readouterr().out
    sums = (stick / usb.SUMS_FILE).read_text().splitlines()
    assert len(sums) == 2 * 3  # a manifest, a payload and a video each
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((stick / name).read_bytes()).hexdigest() == digest
    with Store.open(enrolled.paths) as store:
        assert len(store.bundles_in_state("sealed")) == 2  # kept until receipts return

    imported = import_folder(stick, server.keys, server.storage)
    assert imported.ok and len(imported.received) == 2

    assert cli.accept_receipts(enrolled, stick) == cli.EXIT_OK
    assert "confirmed 2 bundle(s)" in capsys.readouterr().out
    with Store.open(enrolled.paths) as store:
        assert store.bundles_in_state("sealed") == []
        tombstones = store.tombstones()
        assert len(tombstones) == 2
        assert all(store.get_receipt(t.bundle_id).via == "usb"  # type: ignore[union-attr]
                   for t in tombstones)
    assert list(enrolled.paths.bundles.iterdir()) == []
    stored_videos = {
        council_reads_video(server, b.sha256)
        for s in server.bundles()
        for b in bundle.Manifest.parse(s.manifest_json).blobs
        if b.kind == "video"
    }
    assert stored_videos == {v[0] for v in videos}


def test_a_forged_receipt_on_the_stick_is_refused(
    enrolled: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _finish_sessions(enrolled, 1)
    stick = tmp_path / "stick"
    assert cli.export_main(enrolled, stick) == cli.EXIT_OK
    with Store.open(enrolled.paths) as store:
        [row] = store.bundles_in_state("sealed")
    forged = bundle.sign_receipt(bundle.Manifest.parse(row.manifest_json),
                                 Ed25519PrivateKey.generate(), "2026-11-25T20:00:00Z")
    (stick / usb.RECEIPTS_DIR).mkdir()
    (stick / usb.RECEIPTS_DIR / f"{row.id}.json").write_bytes(forged.to_bytes())
    assert cli.accept_receipts(enrolled, stick) == cli.EXIT_OFFICER
    assert "not accepted" in capsys.readouterr().out
    with Store.open(enrolled.paths) as store:
        assert store.get_bundle(row.id).state == "sealed"  # type: ignore[union-attr]
    assert (enrolled.paths.bundles / row.id).is_dir()


def test_export_sets_a_damaged_bundle_aside(
    enrolled: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _finish_sessions(enrolled, 1)
    credential = load_credential(enrolled.paths)
    assert credential is not None
    with Store.open(enrolled.paths) as store:
        [bundle_id] = seal.seal_pending(store, enrolled.paths,
                                        DeviceKeys.load_or_create(enrolled.paths), credential)
    manifest = bundle.read_manifest(enrolled.paths.bundles / bundle_id)
    path = bundle.blob_path(enrolled.paths.bundles / bundle_id, manifest.payload.sha256)
    path.write_bytes(path.read_bytes()[:-1])
    stick = tmp_path / "stick"
    assert cli.export_main(enrolled, stick) == cli.EXIT_OFFICER
    assert "set aside" in capsys.readouterr().out
    assert not (stick / bundle_id).exists()
    with Store.open(enrolled.paths) as store:
        assert store.get_bundle(bundle_id).state == "quarantined"  # type: ignore[union-attr]
