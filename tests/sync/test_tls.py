"""TLS that says what is wrong: plain HTTP off this machine needs a flag, a credential can
pin the council's own CA, and a certificate problem is named as one."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import pytest

from booth.settings import Paths, Settings, load_settings
from booth.store import Store
from booth.sync import cli, seal
from booth.sync.keys import Credential, CredentialError, DeviceKeys, install_credential
from booth.sync.online import make_client, say_hello
from booth.sync.uploader import GaveUp, Uploader, UploaderOptions
from booth.wire import protocol
from council.cli import main as council_main
from tests.helpers.council import council_serve_process, free_port
from tests.helpers.sync import finished_session
from tests.helpers.tls import make_ca, server_certificate

# Not loopback by address, so plain HTTP to it needs the flag; nothing listens there
# (Linux sends 0.0.0.0 to this machine), so a hello fails at once instead of timing out.
ELSEWHERE = "http://0.0.0.0:9"


@pytest.mark.parametrize(
    ("url", "exposed"),
    [
        ("http://127.0.0.1:8765", False), ("http://127.8.0.1", False),
        ("http://localhost:8765/", False), ("http://[::1]:8765", False),
        ("https://council.example", False), ("https://10.0.0.5:8765", False),
        ("http://council.example", True), ("http://10.0.0.5:8765", True),
        ("http://0.0.0.0:8765", True), ("HTTP://192.168.1.20", True),
        ("http://localhost.evil.example", True),
    ],
)
def test_only_plain_http_off_this_machine_counts_as_exposed(url: str, exposed: bool) -> None:
    assert protocol.is_plain_http_off_loopback(url) is exposed


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    keys, store = tmp_path / "keys", tmp_path / "store"
    assert council_main(["keygen", str(keys)]) == 0
    return keys, store


def _enrol(keys: Path, store: Path, out: Path, server: str, *extra: str) -> int:
    return council_main(["enrol", "--keys", str(keys), "--store", str(store), "--name",
                         out.stem, "--server", server, "--out", str(out), *extra])


def test_council_enrol_to_plain_http_elsewhere_needs_the_flag_and_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, store = _keys(tmp_path)
    capsys.readouterr()
    refused = tmp_path / "refused.json"
    assert _enrol(keys, store, refused, "http://council.example:8765") == 1
    assert "--insecure-http" in capsys.readouterr().err
    assert not refused.exists()
    allowed = tmp_path / "allowed.json"
    assert _enrol(keys, store, allowed, "http://council.example:8765", "--insecure-http") == 0
    assert "WARNING: plain HTTP" in capsys.readouterr().err
    # Loopback and HTTPS need nothing and say nothing.
    assert _enrol(keys, store, tmp_path / "local.json", "http://127.0.0.1:8765") == 0
    assert _enrol(keys, store, tmp_path / "tls.json", "https://council.example") == 0
    assert "WARNING" not in capsys.readouterr().err


def test_serving_plain_http_off_loopback_needs_the_flag_and_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import council.server

    keys, store = _keys(tmp_path)
    served: list[str] = []
    monkeypatch.setattr(council.server, "serve", lambda *a, **k: served.append(k["host"]))
    args = ["serve", "--keys", str(keys), "--store", str(store), "--host", "0.0.0.0"]
    capsys.readouterr()
    assert council_main(args) == 1
    assert "--insecure-http" in capsys.readouterr().err and served == []
    assert council_main([*args, "--insecure-http"]) == 0
    assert "WARNING: plain HTTP to 0.0.0.0" in capsys.readouterr().err
    assert council_main(["serve", "--keys", str(keys), "--store", str(store)]) == 0
    assert "WARNING" not in capsys.readouterr().err
    assert served == ["0.0.0.0", "127.0.0.1"]


def test_booth_enrol_to_plain_http_elsewhere_needs_the_flag_and_warns(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, store = _keys(tmp_path)
    issued = tmp_path / "kiosk.json"
    assert _enrol(keys, store, issued, ELSEWHERE, "--insecure-http") == 0
    capsys.readouterr()
    with pytest.raises(CredentialError, match="insecure-http"):
        install_credential(settings.paths, issued)
    assert cli.enrol_main(settings, issued) == cli.EXIT_SETUP
    assert "--insecure-http" in capsys.readouterr().out
    assert not (settings.paths.keys / "credential.json").exists()
    assert cli.enrol_main(settings, issued, insecure_http=True) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "WARNING" in out and "plain HTTP" in out


def test_a_credential_with_a_damaged_ca_certificate_is_refused(
    tmp_path: Path, settings: Settings
) -> None:
    keys, store = _keys(tmp_path)
    issued = tmp_path / "kiosk.json"
    assert _enrol(keys, store, issued, "https://council.example") == 0
    body = json.loads(issued.read_text())
    issued.write_text(json.dumps({**body, "ca_cert": "-----BEGIN CERTIFICATE-----\nxx"}))
    with pytest.raises(CredentialError, match="ca_cert"):
        install_credential(settings.paths, issued)
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    assert _enrol(keys, store, tmp_path / "k2.json", "https://council.example",
                  "--ca-cert", str(not_pem)) == 1


def _kiosk(folder: Path, credential_file: Path) -> tuple[Paths, Credential]:
    paths = load_settings(data_dir=folder).paths
    paths.create()
    return paths, install_credential(paths, credential_file)


def _sync_once(paths: Paths, credential: Credential) -> list[str]:
    device = DeviceKeys.load_or_create(paths)
    with Store.open(paths) as store:
        session_id, _ = finished_session(store, credential.recipients, videos=1)
        seal.seal_session(store, paths, device, credential, session_id)
        options = UploaderOptions(timeout=10.0, give_up_after=2)
        with Uploader(store, credential, device, options=options, sleep=lambda _s: None) as up:
            return up.run().committed


def test_a_pinned_council_ca_is_trusted_and_nothing_else_is(tmp_path: Path) -> None:
    council_ca = make_ca(tmp_path / "ca", "council CA")
    other_ca = make_ca(tmp_path / "other-ca", "someone else")
    cert_file, key_file = server_certificate(council_ca, tmp_path / "server-tls")
    keys, store = _keys(tmp_path)
    url = f"https://127.0.0.1:{free_port()}"
    pinned_file, other_file, plain_file = (tmp_path / f"{n}.json" for n in
                                           ("pinned", "other", "system"))
    assert _enrol(keys, store, pinned_file, url, "--ca-cert", str(council_ca.pem_file)) == 0
    assert _enrol(keys, store, other_file, url, "--ca-cert", str(other_ca.pem_file)) == 0
    assert _enrol(keys, store, plain_file, url) == 0
    token = json.loads(pinned_file.read_text())["token"]
    trust = ssl.create_default_context(cafile=str(council_ca.pem_file))
    tls = ["--certfile", str(cert_file), "--keyfile", str(key_file)]

    with council_serve_process(keys, store, url, token, tls, verify=trust):
        # The council's own CA, carried in the credential: the kiosk syncs.
        paths, pinned = _kiosk(tmp_path / "kiosk-pinned", pinned_file)
        assert pinned.ca_cert is not None
        assert len(_sync_once(paths, pinned)) == 1

        # Another CA, or the system's CAs: a certificate error, named as one.
        for name, file in (("other", other_file), ("system", plain_file)):
            paths, credential = _kiosk(tmp_path / f"kiosk-{name}", file)
            with make_client(credential, timeout=10.0) as client:
                hello = say_hello(client, credential)
            assert not hello.online
            assert hello.detail.startswith("the council server's certificate is not trusted:")
            assert "(ConnectError)" not in hello.detail
            with pytest.raises(GaveUp, match="certificate is not trusted"):
                _sync_once(paths, credential)
