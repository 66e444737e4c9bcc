#!/usr/bin/env bash
# Installs everything, then starts the booth in its demo configuration: synthetic
# camera and microphone, a demo data folder, and a council server on loopback.
# On a machine with no screen it runs on a virtual screen (Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: no screen here, so the booth runs on a virtual 1366x768 screen (Xvfb)"
  exec xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/booth run --demo "$@"
fi
exec .venv/bin/booth run --demo "$@"
