#!/usr/bin/env bash
# One command: set everything up, then run the linters, the type checker and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy --strict src"; .venv/bin/mypy --strict src
echo "== pytest"; .venv/bin/pytest "$@"
