"""booth-council end to end: keys, enrolment, network and USB ingest, decrypt, report."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from booth.settings import Settings
from booth.store import Store
from booth.sync import seal
from booth.sync.keys import Credential, DeviceKeys, install_credential
from booth.wire import bundle
from council.cli import main as council_main
from tests.helpers.council import (
    CouncilServer,
    council_serve_process,
    council_server,  # noqa: F401  (fixture)
    free_port,
    upload_blob,
)
from tests.helpers.sync import finished_session
from tests.helpers.tls import make_ca, server_certificate

AGE = shutil.which("age") or "/usr/bin/age"
AGE_KEYGEN = shutil.which("age-keygen") or "/usr/bin/age-keygen"


@dataclass
class Kiosk:
    store: Store
    settings: Settings
    device: DeviceKeys
    credential: Credential


@pytest.fixture
def kiosk(
    settings: Settings, council_server: CouncilServer, tmp_path: Path  # noqa: F811
) -> Iterator[Kiosk]:
    """A booth enrolled with the running council server (credential installed for real)."""
    credential_file = council_server.enrol_to_file(tmp_path / "issued", "school kiosk")
    credential = install_credential(settings.paths, credential_file)
    store = Store.open(settings.paths)
    try:
        yield Kiosk(store, settings, DeviceKeys.load_or_create(settings.paths), credential)
    finally:
        store.close()


def _seal(kiosk: Kiosk, videos: int = 1) -> tuple[str, list[bytes]]:
    session_id, plains = finished_session(kiosk.store, kiosk.credential.recipients, videos)
    bundle_id = seal.seal_session(
        kiosk.store, kiosk.settings.paths, kiosk.device, kiosk.credential, session_id
    )
    return bundle_id, plains


def _send(kiosk: Kiosk, server: CouncilServer, bundle_id: str) -> dict[str, object]:
    """Upload a sealed bundle's blobs and commit it, as any tus client would."""
    folder = kiosk.settings.paths.bundles / bundle_id
    manifest = bundle.read_manifest(folder)
    credential = kiosk.credential.to_dict()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for blob in manifest.blobs:
            upload_blob(client, credential, bundle.blob_path(folder, blob.sha256).read_bytes())
        answer = client.put(
            f"/api/v1/bundles/{bundle_id}", content=manifest.to_bytes(),
            headers={"Authorization": f"Bearer {kiosk.credential.token}"},
        )
    assert answer.status_code == 201, answer.text
    receipt: dict[str, object] = answer.json()
    return receipt


def _council_args(server: CouncilServer) -> list[str]:
    return ["--keys", str(server.keys_dir), "--store", str(server.store_dir)]


# --- keys and devices ----------------------------------------------------------------


def test_keygen_writes_stock_age_keys_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "keys"
    assert council_main(["keygen", str(folder)]) == 0
    for name in ("ingest", "escrow"):
        derived = subprocess.run(
            [AGE_KEYGEN, "-y", str(folder / f"{name}.key")],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        assert derived == (folder / f"{name}.pub").read_text().strip()
        assert (folder / f"{name}.key").stat().st_mode & 0o077 == 0
    signing = bundle.load_public_key((folder / "server-signing.pub").read_text())
    assert len(signing.public_bytes_raw()) == 32
    before = (folder / "ingest.key").read_bytes()
    capsys.readouterr()
    assert council_main(["keygen", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err
    assert "Traceback" not in err
    assert (folder / "ingest.key").read_bytes() == before


def test_enrol_issues_a_credential_the_kiosk_installs(
    tmp_path: Path, settings: Settings
) -> None:
    keys = tmp_path / "keys"
    store = tmp_path / "store"
    out = tmp_path / "kiosk.json"
    assert council_main(["keygen", str(keys)]) == 0
    assert council_main([
        "enrol", "--keys", str(keys), "--store", str(store), "--name", "library 1",
        "--server", "https://council.example/", "--out", str(out),
    ]) == 0
    credential = install_credential(settings.paths, out)
    raw = json.loads(out.read_text())
    assert raw["format"] == 1
    assert credential.server_url == "https://council.example"
    assert list(credential.recipients) == [
        (keys / "ingest.pub").read_text().strip(), (keys / "escrow.pub").read_text().strip()
    ]
    assert credential.server_signing_key == (keys / "server-signing.pub").read_text().strip()
    # The server keeps only a hash of the token.
    assert credential.token.encode() not in (store / "catalogue.sqlite3").read_bytes()
    # A second enrolment to the same file is refused rather than overwriting it.
    assert council_main([
        "enrol", "--keys", str(keys), "--store", str(store), "--name", "library 2",
        "--server", "https://council.example/", "--out", str(out),
    ]) == 1


def test_each_kiosk_gets_its_own_code_prefix_and_its_codes_begin_with_it(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from booth.wire.reference import REFERENCE_ALPHABET, is_prefix
    from council import admin

    keys = admin.keygen(tmp_path / "keys")
    with closing(admin.open_storage(tmp_path / "store")) as storage:
        issued = [admin.enrol(keys, storage, f"kiosk {n}", "https://council.example")
                  for n in range(20)]
        prefixes = [credential["reference_prefix"] for credential in issued]
        assert len(set(prefixes)) == 20 and all(is_prefix(p) for p in prefixes)
        assert storage.catalogue.code_prefix(issued[0]["device_id"]) == prefixes[0]
        # A withdrawn kiosk's prefix is never given again: its codes still name its sessions.
        admin.revoke(storage, issued[0]["device_id"])
        free = next(p for p in admin.all_prefixes() if p not in prefixes)
        monkeypatch.setattr(admin, "all_prefixes", lambda: [prefixes[0], free])
        assert admin.enrol(keys, storage, "next", "https://council.example")[
            "reference_prefix"] == free
        with pytest.raises(admin.CouncilError, match="prefixes has been given"):
            admin.enrol(keys, storage, "one too many", "https://council.example")
        assert [d.name for d in storage.catalogue.list_devices()].count("one too many") == 0
    assert council_main(["devices", "--store", str(tmp_path / "store")]) == 0
    assert f"codes {prefixes[1]}?-???" in capsys.readouterr().out

    file = tmp_path / "kiosk.json"
    file.write_text(json.dumps(issued[1]))
    install_credential(settings.paths, file)
    with Store.open(settings.paths) as store:
        sessions = [finished_session(store, [], videos=0)[0] for _ in range(5)]
        codes = [store.get_session(s).reference_code for s in sessions]  # type: ignore[union-attr]
    assert all(code and code.startswith(prefixes[1]) for code in codes)
    assert set("".join(c or "" for c in codes)) <= set(REFERENCE_ALPHABET)


def test_revoke_command_locks_the_device_out(
    council_server: CouncilServer, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    credential = council_server.enrol()
    hello = f"{council_server.url}/api/v1/hello"
    headers = {"Authorization": f"Bearer {credential['token']}"}
    assert httpx.get(hello, params={"nonce": "ab" * 16}, headers=headers).status_code == 200
    assert council_main(
        ["revoke", "--store", str(council_server.store_dir), credential["device_id"]]
    ) == 0
    assert httpx.get(hello, params={"nonce": "ab" * 16}, headers=headers).status_code == 403
    unknown = ["revoke", "--store", str(council_server.store_dir), "dev-nosuchdevice"]
    assert council_main(unknown) == 1
    assert "no device" in capsys.readouterr().err


# --- network ingest, decrypt, report --------------------------------------------------


def test_received_bundle_decrypts_to_what_the_participant_reviewed(
    kiosk: Kiosk, council_server: CouncilServer, tmp_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle_id, plains = _seal(kiosk, videos=2)
    receipt = _send(kiosk, council_server, bundle_id)
    manifest = bundle.read_manifest(kiosk.settings.paths.bundles / bundle_id)
    bundle.verify_receipt(bundle.Receipt.parse(json.dumps(receipt)), manifest,
                          kiosk.credential.server_signing_key)

    out = tmp_path / "decrypted"
    assert council_main(["decrypt", *_council_args(council_server), "--out", str(out)]) == 0
    folder = out / bundle_id
    assert (folder / "video-1.mp4").read_bytes() == plains[0]
    assert (folder / "video-2.mp4").read_bytes() == plains[1]
    answers = json.loads((folder / "answers.json").read_text())
    assert answers["bundle_id"] == bundle_id
    assert answers["answers"]["priorities"] == {"children": ["parks", "libraries"]}
    assert [v["file"] for v in answers["videos"]] == ["video-1.mp4", "video-2.mp4"]
    # Running it again only decrypts what is new.
    second, _ = _seal(kiosk, videos=0)
    _send(kiosk, council_server, second)
    assert council_main(["decrypt", *_council_args(council_server), "--out", str(out)]) == 0
    assert "1 new bundle(s)" in capsys.readouterr().out
    assert (out / second / "answers.json").is_file()


def test_stock_age_tool_decrypts_a_stored_blob_with_ingest_and_escrow_keys(
    kiosk: Kiosk, council_server: CouncilServer  # noqa: F811
) -> None:
    bundle_id, plains = _seal(kiosk)
    _send(kiosk, council_server, bundle_id)
    manifest = bundle.read_manifest(kiosk.settings.paths.bundles / bundle_id)
    video = next(b for b in manifest.blobs if b.kind == "video")
    stored = council_server.blob_path(video.sha256)
    for key in ("ingest.key", "escrow.key"):
        result = subprocess.run(
            [AGE, "-d", "-i", str(council_server.keys_dir / key), str(stored)],
            check=True, capture_output=True,
        )
        assert result.stdout == plains[0]


def test_report_writes_priorities_csv_and_charts(
    kiosk: Kiosk, council_server: CouncilServer, tmp_path: Path  # noqa: F811
) -> None:
    sent = []
    for _ in range(2):
        bundle_id, _plains = _seal(kiosk, videos=0)
        _send(kiosk, council_server, bundle_id)
        sent.append(bundle_id)
    out = tmp_path / "report"
    assert council_main(["report", *_council_args(council_server), "--out", str(out)]) == 0
    with (out / "priorities.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted({row["bundle"] for row in rows}) == sorted(sent)
    assert sorted((row["list"], row["item"]) for row in rows) == sorted(
        [("children", "parks"), ("children", "libraries")] * 2
    )
    assert {row["look"] for row in rows} == {"child"}
    assert {row["area"] for row in rows} == {"prefer_not"}
    charts = sorted(path.name for path in out.glob("*.png"))
    assert charts == ["chart-area-prefer-not.png", "chart-look-child.png"]
    for chart in charts:
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_decrypt_with_the_wrong_key_is_a_clear_error(
    kiosk: Kiosk, council_server: CouncilServer, tmp_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle_id, _plains = _seal(kiosk, videos=0)
    _send(kiosk, council_server, bundle_id)
    other = tmp_path / "other-keys"
    assert council_main(["keygen", str(other)]) == 0
    capsys.readouterr()
    code = council_main(["decrypt", "--keys", str(other), "--store",
                         str(council_server.store_dir), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "ingest key" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["decrypt", "report"])
def test_missing_folders_are_clear_errors(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = council_main([command, "--keys", str(tmp_path / "nokeys"), "--store",
                         str(tmp_path / "nostore"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "no key folder" in err
    assert "Traceback" not in err


# --- sneakernet ----------------------------------------------------------------------


def _export(kiosk: Kiosk, bundle_ids: list[str], usb: Path) -> Path:
    """A USB folder as `booth export` writes it: bundle folders plus SHA256SUMS."""
    lines = []
    for bundle_id in bundle_ids:
        target = usb / "bundles" / bundle_id
        shutil.copytree(kiosk.settings.paths.bundles / bundle_id, target)
        for file in sorted(target.rglob("*")):
            if file.is_file():
                digest = hashlib.sha256(file.read_bytes()).hexdigest()
                lines.append(f"{digest}  {file.relative_to(usb).as_posix()}")
    (usb / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return usb


def test_import_ingests_a_usb_export_and_writes_receipts(
    kiosk: Kiosk, council_server: CouncilServer, tmp_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, plains = _seal(kiosk)
    second, _ = _seal(kiosk, videos=0)
    usb = _export(kiosk, [first, second], tmp_path / "usb")
    assert council_main(["import", str(usb), *_council_args(council_server)]) == 0
    assert {b.bundle_id for b in council_server.bundles()} == {first, second}
    for bundle_id in (first, second):
        receipt = bundle.Receipt.parse((usb / "receipts" / f"{bundle_id}.json").read_bytes())
        manifest = bundle.read_manifest(kiosk.settings.paths.bundles / bundle_id)
        bundle.verify_receipt(receipt, manifest, kiosk.credential.server_signing_key)
    # Importing the same stick again changes nothing and hands back the same receipts.
    before = (usb / "receipts" / f"{first}.json").read_bytes()
    assert council_main(["import", str(usb), *_council_args(council_server)]) == 0
    assert "already had" in capsys.readouterr().out
    assert (usb / "receipts" / f"{first}.json").read_bytes() == before
    assert len(council_server.bundles()) == 2
    out = tmp_path / "decrypted"
    assert council_main(["decrypt", *_council_args(council_server), "--out", str(out)]) == 0
    assert (out / first / "video-1.mp4").read_bytes() == plains[0]


def test_import_refuses_an_altered_blob_and_keeps_the_good_bundle(
    kiosk: Kiosk, council_server: CouncilServer, tmp_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    good, _ = _seal(kiosk, videos=0)
    bad, _ = _seal(kiosk)
    usb = _export(kiosk, [good, bad], tmp_path / "usb")
    video = next(b for b in bundle.read_manifest(usb / "bundles" / bad).blobs if b.kind == "video")
    path = bundle.blob_path(usb / "bundles" / bad, video.sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert council_main(["import", str(usb), *_council_args(council_server)]) == 1
    err = capsys.readouterr().err
    assert f"REFUSED {bad}" in err
    assert "SHA256SUMS" in err
    assert [b.bundle_id for b in council_server.bundles()] == [good]
    assert not (usb / "receipts" / f"{bad}.json").exists()
    assert not council_server.has_blob(video.sha256)


def test_import_refuses_a_bundle_resigned_with_another_key(
    kiosk: Kiosk, council_server: CouncilServer, tmp_path: Path  # noqa: F811
) -> None:
    # The device key is pinned on the first bundle the council receives from a device.
    first, _ = _seal(kiosk, videos=0)
    _send(kiosk, council_server, first)
    second, _ = _seal(kiosk, videos=0)
    folder = kiosk.settings.paths.bundles / second
    manifest = bundle.read_manifest(folder)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = bundle.sign_manifest(
        bundle_id=manifest.bundle_id, device_id=manifest.device_id,
        device_seq=manifest.device_seq, app_version=manifest.app_version,
        sealed_at=manifest.sealed_at, blobs=manifest.blobs,
        device_key=Ed25519PrivateKey.generate(),
    )
    (folder / "manifest.json").write_bytes(forged.to_bytes())
    usb = _export(kiosk, [second], tmp_path / "usb")
    report_code = council_main(["import", str(usb), *_council_args(council_server)])
    assert report_code == 1
    assert council_server.bundle(second) is None


def test_import_without_a_checksum_list_is_a_clear_error(
    council_server: CouncilServer, tmp_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "usb").mkdir()
    assert council_main(["import", str(tmp_path / "usb"), *_council_args(council_server)]) == 1
    err = capsys.readouterr().err
    assert "SHA256SUMS" in err
    assert "Traceback" not in err
    assert council_main(["import", str(tmp_path / "nothing"), *_council_args(council_server)]) == 1



@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_serve_command_runs_the_ingest_server_until_stopped(tmp_path: Path, tls: bool) -> None:
    import ssl

    keys = tmp_path / "keys"
    store = tmp_path / "store"
    out = tmp_path / "kiosk.json"
    scheme = "https" if tls else "http"
    url = f"{scheme}://127.0.0.1:{free_port()}"
    assert council_main(["keygen", str(keys)]) == 0
    assert council_main(["enrol", "--keys", str(keys), "--store", str(store), "--name", "k",
                         "--server", url, "--out", str(out)]) == 0
    token = json.loads(out.read_text())["token"]
    extra: list[str] = []
    verify: ssl.SSLContext | bool = True
    if tls:
        ca = make_ca(tmp_path / "ca", "council CA")
        cert_file, key_file = server_certificate(ca, tmp_path / "server")
        extra = ["--certfile", str(cert_file), "--keyfile", str(key_file)]
        verify = ssl.create_default_context(cafile=str(ca.pem_file))
    # It answers a signed hello, then stops cleanly on Ctrl-C (checked by the helper).
    with council_serve_process(keys, store, url, token, extra, verify):
        pass


def test_usb_round_trip_with_the_kiosks_own_export_and_receipt_acceptance(
    kiosk: Kiosk, council_server: CouncilServer, tmp_path: Path  # noqa: F811
) -> None:
    from booth.sync.export import accept_receipts_in, export_bundles

    bundle_id, plains = _seal(kiosk)
    usb = tmp_path / "stick"
    exported = export_bundles(kiosk.store, kiosk.settings, usb)
    assert exported.exported == [bundle_id]
    # A half-copied file left by an interrupted earlier export is ignored, not trusted.
    (usb / bundle_id / "blobs" / "leftover.age.part").write_bytes(b"junk")
    assert council_main(["import", str(usb), *_council_args(council_server)]) == 0
    assert council_server.bundle(bundle_id) is not None
    accepted = accept_receipts_in(kiosk.store, kiosk.settings, kiosk.credential, usb)
    assert accepted.accepted == [bundle_id]
    found = kiosk.store.get_bundle(bundle_id)
    assert found is not None and found.state == "purged"
    assert not (kiosk.settings.paths.bundles / bundle_id).exists()
    out = tmp_path / "decrypted"
    assert council_main(["decrypt", *_council_args(council_server), "--out", str(out)]) == 0
    assert (out / bundle_id / "video-1.mp4").read_bytes() == plains[0]


def test_import_of_hostile_stick_contents_is_refused_in_plain_words(
    council_server: CouncilServer, tmp_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    usb = tmp_path / "usb"
    bundle_dir = usb / "bundle-deadbeef"
    bundle_dir.mkdir(parents=True)
    (bundle_dir / "manifest.json").write_bytes(b"[" * 100_000)
    digest = hashlib.sha256(b"[" * 100_000).hexdigest()
    (usb / "SHA256SUMS").write_text(f"{digest}  bundle-deadbeef/manifest.json\n")
    assert council_main(["import", str(usb), *_council_args(council_server)]) == 1
    err = capsys.readouterr().err
    assert "REFUSED bundle-deadbeef" in err
    assert "Traceback" not in err
    (usb / "SHA256SUMS").write_text(f"{digest}  ../../etc/passwd\n")
    assert council_main(["import", str(usb), *_council_args(council_server)]) == 1
    err = capsys.readouterr().err
    assert "SHA256SUMS line 1" in err
    assert council_server.bundles() == []


def test_verify_finds_a_blob_altered_or_lost_on_the_council_disk(
    kiosk: Kiosk, council_server: CouncilServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle_id, _ = _seal(kiosk)
    _send(kiosk, council_server, bundle_id)
    assert council_main(["verify", *_council_args(council_server)]) == 0
    assert "1 bundle(s), 2 blob(s) checked, 0 problem(s)" in capsys.readouterr().out
    manifest = bundle.read_manifest(kiosk.settings.paths.bundles / bundle_id)
    video, payload = (next(b for b in manifest.blobs if b.kind == kind)
                      for kind in ("video", "payload"))
    stored = council_server.blob_path(video.sha256)
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0x80
    stored.write_bytes(bytes(data))
    council_server.blob_path(payload.sha256).unlink()
    assert council_main(["verify", *_council_args(council_server)]) == 1
    err = capsys.readouterr().err
    assert f"blob {video.sha256[:12]} was altered on disk" in err
    assert f"blob {payload.sha256[:12]} is missing" in err


def test_gc_removes_only_old_unclaimed_blobs_and_expired_uploads(
    council_server: CouncilServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os

    from tests.helpers.council import make_bundle, sha256_metadata, tus_headers

    credential = council_server.enrol()
    kept = make_bundle(credential)
    old_orphan, new_orphan, unfinished = os.urandom(1000), os.urandom(1000), os.urandom(1000)
    with httpx.Client(base_url=council_server.url) as client:
        for data in [*kept.blobs.values(), old_orphan, new_orphan]:
            upload_blob(client, credential, data)
        answer = client.put(f"/api/v1/bundles/{kept.manifest.bundle_id}", content=kept.body,
                            headers={"Authorization": f"Bearer {credential['token']}"})
        assert answer.status_code == 201
        created = client.post("/files/", headers={
            **tus_headers(credential), "Upload-Length": "1000",
            "Upload-Metadata": sha256_metadata(hashlib.sha256(unfinished).hexdigest())})
        assert created.status_code == 201
    a_year_ago = 1_700_000_000
    for path in council_server.stored_blobs():
        os.utime(path, (a_year_ago, a_year_ago))
    new_sha = hashlib.sha256(new_orphan).hexdigest()
    os.utime(council_server.blob_path(new_sha))
    council_server.expire_uploads()
    assert council_main(["gc", "--store", str(council_server.store_dir)]) == 0
    assert "removed 1 unclaimed blob(s) and 1 expired" in capsys.readouterr().out
    assert not council_server.has_blob(hashlib.sha256(old_orphan).hexdigest())
    assert council_server.has_blob(new_sha)
    assert all(council_server.has_blob(sha) for sha in kept.blobs)
    assert council_server.partial_uploads() == []
    assert council_main(["gc", "--store", str(council_server.store_dir),
                         "--older-than-days", "0"]) == 1
