#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the end-to-end tests (tests/e2e/):
# installs it with apt-get when it is missing, does nothing otherwise. Playwright drives this
# browser; `playwright install` is never used (it downloads browser builds of its own).
set -euo pipefail
browser=/usr/bin/chromium
if [ -x "$browser" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: $browser is missing and apt-get is not available: install Chromium by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "error: $browser is missing; installing it needs root (apt-get install chromium)" >&2
    exit 1
  fi
fi
echo ">> installing Debian's chromium for the end-to-end tests" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium >/dev/null
test -x "$browser" || { echo "error: apt-get installed no $browser" >&2; exit 1; }
echo ">> $("$browser" --version 2>/dev/null | head -1)" >&2
