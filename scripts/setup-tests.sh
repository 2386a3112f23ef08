#!/usr/bin/env bash
# Installs what the test suite needs: LibreOffice (headless Calc, Python-UNO), poppler (PDF->PNG),
# the Carlito font (Calibri's metric twin, so renders look right) and the package with its test extras.
# Idempotent: does nothing slow when everything is already there.
set -euo pipefail

cd "$(dirname "$0")/.."

have_system_tools() {
    command -v soffice >/dev/null 2>&1 &&
        /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 &&
        command -v pdftoppm >/dev/null 2>&1 &&
        command -v pdfinfo >/dev/null 2>&1 &&
        [ -e /usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf ]
}

if ! have_system_tools; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-tests: LibreOffice, python3-uno or poppler-utils is missing; run this script as root" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libreoffice-calc-nogui python3-uno poppler-utils fonts-crosextra-carlito >/dev/null
    have_system_tools || { echo "setup-tests: LibreOffice install did not give soffice + uno + pdftoppm" >&2; exit 1; }
fi

# Reinstall the package only when pyproject.toml changed since the last run on this checkout.
stamp="build/.setup-tests.stamp"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || ! python3 -c 'import spi4xl, pytest' >/dev/null 2>&1; then
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[test]'
    mkdir -p build
    echo "$want" >"$stamp"
fi
