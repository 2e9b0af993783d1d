#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install the project into it, when missing or stale.
# Finds the interpreter by itself: $PYTHON, then python3.13/python3.12/python3 on PATH, then pyenv's
# installed versions. Re-installs only when pyproject.toml is newer than the install stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
stamp=$venv/.installed

is_ok() {  # is "$1" a Python >= 3.12 that can make a venv?
  "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local c
  for c in ${PYTHON:-} python3.13 python3.12 python3; do
    if command -v "$c" >/dev/null 2>&1 && is_ok "$c"; then command -v "$c"; return 0; fi
  done
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  for c in "$root"/versions/3.1[3-9]*/bin/python3 "$root"/versions/3.12*/bin/python3; do
    if [ -x "$c" ] && is_ok "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

if [ ! -x "$venv/bin/python" ] || ! is_ok "$venv/bin/python"; then
  py=$(find_python) || {
    echo "error: this project needs Python >= 3.12 (Mesa 3.5 requires it)." >&2
    echo "Install one (e.g. 'pyenv install 3.12' or your OS package) or set PYTHON=/path/to/python3.12." >&2
    exit 1
  }
  echo ">> creating $venv with $py ($("$py" --version 2>&1))" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi

if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo ">> installing the project and its dependencies into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]" >&2
  touch "$stamp"
fi
