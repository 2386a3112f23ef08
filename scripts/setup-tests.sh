#!/usr/bin/env bash
# Installs what the test suite needs: LibreOffice (headless Calc, Python-UNO), poppler (PDF->PNG, PDF text),
# the Carlito font (Calibri's metric twin, so renders look right), Chromium (the add-in's task pane in a
# headless browser, and the audit report's PDF; Debian's package, never a downloaded browser) and the package with its test extras in .venv.
# Idempotent: does nothing slow when everything is already there.
set -euo pipefail

cd "$(dirname "$0")/.."

have_system_tools() {
    command -v soffice >/dev/null 2>&1 &&
        /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 &&
        command -v pdftoppm >/dev/null 2>&1 &&
        command -v pdfinfo >/dev/null 2>&1 &&
        command -v pdftotext >/dev/null 2>&1 &&
        command -v chromium >/dev/null 2>&1 &&
        [ -e /usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf ]
}

if ! have_system_tools; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-tests: LibreOffice, python3-uno, poppler-utils or chromium is missing; run this script as root" >&2
        exit 1
    fi
    # Another apt run (unattended upgrades, a second setup) holds the lock: wait for it up to 5 minutes.
    APT_WAIT="-o DPkg::Lock::Timeout=300"
    apt-get $APT_WAIT update -qq
    DEBIAN_FRONTEND=noninteractive apt-get $APT_WAIT install -y -qq --no-install-recommends \
        libreoffice-calc-nogui python3-uno poppler-utils fonts-crosextra-carlito chromium >/dev/null
    have_system_tools || { echo "setup-tests: the install did not give soffice + uno + pdftoppm + chromium" >&2; exit 1; }
fi

# The package and its test extras, in .venv (see setup.sh).
bash scripts/setup.sh test

# Node.js, the pyodide npm package and xlwings' wheel for the xlwings Lite test, cached in .cache/lite (setup-lite.sh).
bash scripts/setup-lite.sh
