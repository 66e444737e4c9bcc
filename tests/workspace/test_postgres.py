"""The workspace on a real PostgreSQL (Debian's package), started here in a temporary
folder on a free port: DATABASE_URL moves every table there, and the commands and pages
work the same."""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.helpers.council import free_port
from tests.helpers.workspace import CouncilStore, add_session, make_store

pytestmark = pytest.mark.slow


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail("PostgreSQL is not installed (scripts/setup.sh installs Debian's postgresql)")
    return found[-1]


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so run it as Debian's postgres.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    # Not under pytest's temporary folder: that is private to root, and the server runs
    # as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="workspace-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        folder.chmod(0o700)
    port = free_port()
    subprocess.run(_as_postgres_user([_pg_bin("initdb"), "-D", str(data), "-U", "workspace",
                                      "--auth=trust", "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres_user([_pg_bin("pg_ctl"), "-D", str(data), "-o", options,
                                      "-l", str(folder / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgres://workspace@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres_user([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast",
                                          "stop"]), check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOOTH_WORKSPACE_",
                                                                    "DJANGO_"))}
    return {**env, "DATABASE_URL": url, "PYTHONPATH": str(Path.cwd())}


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "council.cli", *args], env=_env(url),
                          capture_output=True, text=True, timeout=120)


def _sign_in(client: httpx.Client, name: str, password: str) -> None:
    page = client.get("/sign-in").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    answer = client.post("/sign-in", data={"username": name, "password": password,
                                           "csrfmiddlewaretoken": token.group(1)})
    assert answer.status_code == 302, answer.text[:500]


def test_the_workspace_runs_on_postgresql(postgres: str, tmp_path: Path, mp4: bytes) -> None:
    store: CouncilStore = make_store(tmp_path)
    made = [add_session(store, videos=[mp4]) for _ in range(3)]
    add_session(store, encrypted_payload=b"broken")
    where = ["--keys", str(store.keys_dir), "--store", str(store.store_dir)]
    indexed = _cli(postgres, "index", *where)
    assert indexed.returncode == 0, indexed.stderr
    assert "3 bundle(s) indexed, 1 set aside" in indexed.stdout
    added = _cli(postgres, "user", "add", "ana", "--role", "analyst", *where)
    password = added.stdout.split("privately): ")[1].split()[0]
    with psycopg.connect(postgres) as connection:
        count = connection.execute("SELECT count(*) FROM workspace_session").fetchone()
        assert count is not None and count[0] == 3
    assert not (store.store_dir / "workspace" / "workspace.sqlite3").exists()

    withdrawn = _cli(postgres, "withdraw", made[0].code, *where)
    assert withdrawn.returncode == 0, withdrawn.stderr

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "council.cli", "workspace", *where, "--port", str(port)],
        env=_env(postgres), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.get("/sign-in")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the workspace did not start"
                    time.sleep(0.2)
            _sign_in(client, "ana", password)
            page = client.get("/dashboard/").text
            assert re.search(r'id="stat-sessions">2<', page)
            exported = client.get("/dashboard/priorities.csv").text
            assert made[0].bundle_id not in exported and made[1].bundle_id in exported
    finally:
        server.send_signal(signal.SIGINT)
        _out, err = server.communicate(timeout=30)
    assert "Traceback" not in err, err[-3000:]
    assert _cli(postgres, "audit", "verify", *where).returncode == 0
    store.close()
