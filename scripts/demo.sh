#!/usr/bin/env bash
# One command: set everything up, then run the demo sync on the embedded default (SQLite + simulators).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/syncbridge demo "$@"
