#!/usr/bin/env bash
# Used by bin/lock and bin/audit: uv, pip-audit and pre-commit in .venv, at the versions
# of requirements/tools.txt (locked to agree with the suite's, so they share .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
stamp=.venv/.installed-tools
if [ ! -f "$stamp" ] || [ requirements/tools.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements/tools.txt
  touch "$stamp"
fi
