#!/usr/bin/env bash
# Makes a Chromium available to Playwright: Playwright's own download where
# the network allows it, Debian's chromium package where it does not.
set -euo pipefail
PY=${1:-.venv/bin/python}

if "$PY" - <<'PYEOF' 2>/dev/null
import os, sys
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    sys.exit(0 if os.path.exists(p.chromium.executable_path) else 1)
PYEOF
then
  echo "Playwright's Chromium is installed."
  exit 0
fi
if [ -x /usr/bin/chromium ]; then
  echo "Using Debian's Chromium at /usr/bin/chromium."
  exit 0
fi
if "$PY" -m playwright install chromium >/tmp/flo-playwright-install.log 2>&1; then
  echo "Installed Playwright's Chromium."
  exit 0
fi
echo "Playwright cannot download a browser here; installing Debian's chromium."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
echo "Installed Debian's Chromium at /usr/bin/chromium."
