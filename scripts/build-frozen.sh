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

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export QT_QPA_PLATFORM=offscreen
status=0
./dist/booth/booth doctor --data-dir "$tmp/data" --source synthetic --audio tone >"$tmp/doctor.out" 2>&1 || status=$?
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
echo "frozen smoke test: ok"
