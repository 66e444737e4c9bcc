#!/usr/bin/env bash
# Installs everything, then runs the whole check: ruff, mypy --strict, the import
# contracts and the test suite (Qt tests run offscreen; end-to-end screen tests use a
# virtual screen).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy --strict"
.venv/bin/mypy
echo "== import contracts (lint-imports)"
.venv/bin/lint-imports --no-cache
echo "== pytest"
exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest "$@"
