#!/usr/bin/env bash
# Installs everything the booth needs on a Debian machine: the system libraries Qt,
# audio and video load at run time, a virtual screen for headless machines, and the
# Python packages in .venv. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  # Qt's xcb and offscreen platforms, fonts, OpenGL/EGL
  libegl1 libgl1 libglib2.0-0 libdbus-1-3 libfontconfig1 fonts-dejavu-core
  fonts-noto-color-emoji
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xkb1 libxcb-xfixes0
  # Qt Multimedia (review playback with sound) and PortAudio (the microphone)
  libpulse0 libpipewire-0.3-0 libportaudio2
  # VA-API, which Qt Multimedia's FFmpeg back end loads for hardware video decoding
  libva2 libva-drm2 libva-x11-2
  # Qt text-to-speech: speech-dispatcher with the espeak-ng voice
  libspeechd2 speech-dispatcher espeak-ng
  # ...and speech-dispatcher's espeak-ng module, which gives it espeak-ng's voices (Urdu,
  # Polish, Arabic and about a hundred more; without it speech-dispatcher has none)
  speech-dispatcher-espeak-ng
  # fonts that join and shape Urdu (Noto Nastaliq Urdu) and Arabic (Noto Naskh Arabic);
  # booth.spec copies them into the frozen build
  fonts-noto-core
  # the stock age tool: council staff decrypt bundles with it, and the tests prove they can
  age
  # a virtual screen for machines with no display (demo, screenshots, tests)
  xvfb xauth
  # the council workspace: its styles and charts are built with Node, its browser tests
  # drive Debian's Chromium, and its PostgreSQL tests start a real server
  nodejs chromium postgresql
)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian machine; install the Qt, PortAudio and Xvfb libraries yourself" >&2
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
# The booth's own words in each language: resources/i18n/*/LC_MESSAGES/booth.po compiled to
# booth.mo (settings in pyproject.toml; the .mo files are built here, never committed).
.venv/bin/pybabel compile >/dev/null

# The workspace's front end (GOV.UK Frontend styles, Chart.js), pinned by package-lock.json
# and built into council/workspace/frontend/dist, which the workspace serves itself.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
(
  cd council/workspace/frontend
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  node build.mjs >/dev/null
)
echo "setup: ready (.venv)"
