# Shared by bin/run and bin/test: a virtual environment with the project installed.
# Usage: source bin/_venv.sh EXTRA   (EXTRA: "" or "test")
set -euo pipefail

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "The portal needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
  echo "Install it, or point PYTHON at one: PYTHON=python3.12 $0" >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

extra=${1:-}
lock="requirements/${extra:-base}.txt"
stamp=".venv/.installed-${extra:-base}"
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing the portal and its locked dependencies ($lock) into .venv ..."
  .venv/bin/python -m pip install --quiet --require-hashes -r "$lock"
  # The project alone, built by the lock's setuptools: its dependencies are the lock's.
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  if ! problems=$(.venv/bin/python -m pip check 2>&1); then
    echo "$problems" >&2
    echo "The lock does not satisfy pyproject.toml: run bin/lock." >&2
  fi
  touch "$stamp"
fi

if ! .venv/bin/python -c 'import weasyprint, cairosvg' 2>/dev/null; then
  cat >&2 <<'MSG'
WeasyPrint and CairoSVG cannot load their system libraries (Pango, Cairo), needed for
the PDF and DOCX reports.
  Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2
  Fedora:        sudo dnf install pango cairo
  macOS:         brew install pango cairo
See https://doc.courtbouillon.org/weasyprint/stable/first_steps.html#installation
MSG
  exit 1
fi
