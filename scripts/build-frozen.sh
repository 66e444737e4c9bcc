#!/usr/bin/env bash
# Builds the kiosk app with PyInstaller (one folder: dist/booth/) and smoke-tests it:
# the frozen app runs `doctor` offscreen on a temporary data folder with the synthetic
# camera and tone microphone, then starts the kiosk in demo mode for a few seconds.
# Any import error in its output or log fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin
"$PY/pyinstaller" --noconfirm --clean --log-level WARN booth.spec
echo "frozen build: $(du -sh dist/booth | cut -f1) in dist/booth"

# The kiosk ships without the council's side: no module of the council package (or its
# web server) may be in the build's archive.
collected="$("$PY/python" - <<'PY'
import glob
from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader
exe = CArchiveReader("dist/booth/booth" if glob.glob("dist/booth/booth") else "dist/booth/booth.exe")
names = set()
for name, entry in exe.toc.items():
    if entry[-1] == "z":  # the PYZ of pure-Python modules
        names |= set(exe.open_embedded_archive(name).toc)
names |= {path.split("/")[-1] for path in glob.glob("dist/booth/_internal/**", recursive=True)}
bad = sorted(n for n in names if n.split(".")[0] in ("council", "starlette", "uvicorn"))
print(f"{len(names)} modules; council-side: {' '.join(bad) or 'none'}")
PY
)"
echo "frozen build: $collected"
case "$collected" in
  *"council-side: none") ;;
  *) echo "frozen smoke test: the council's side is inside the kiosk build" >&2; exit 1 ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export QT_QPA_PLATFORM=offscreen
status=0
# --demo: a fresh data folder is not enrolled, which a real booth's doctor calls a failure.
./dist/booth/booth doctor --demo --data-dir "$tmp/data" --source synthetic --audio tone >"$tmp/doctor.out" 2>&1 || status=$?
cat "$tmp/doctor.out"
if [ "$status" -ne 0 ]; then
  echo "frozen smoke test: doctor exited $status" >&2
  exit 1
fi
./dist/booth/booth run --demo --windowed --data-dir "$tmp/demo" --quit-after 6 >"$tmp/run.out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  cat "$tmp/run.out"
  echo "frozen smoke test: the kiosk exited $status" >&2
  exit 1
fi
if grep -E "ImportError|ModuleNotFoundError|No module named|Traceback" \
    "$tmp/doctor.out" "$tmp/run.out" "$tmp"/data/logs/*.log "$tmp"/demo/logs/*.log; then
  echo "frozen smoke test: import errors above" >&2
  exit 1
fi
# Without the council package the demo kiosk says so and keeps its answers.
if ! grep -q "installed without the council's demo server" "$tmp"/demo/logs/*.log; then
  echo "frozen smoke test: the demo kiosk did not report the council as absent" >&2
  exit 1
fi
# The frozen booth limits malloc's arenas itself (booth/allocator.py), as `booth` does.
if ! grep -q "allocator arenas: set" "$tmp"/demo/logs/*.log; then
  echo "frozen smoke test: the kiosk did not limit malloc's arenas" >&2
  exit 1
fi
echo "frozen smoke test: ok"
