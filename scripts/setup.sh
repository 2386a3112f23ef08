#!/usr/bin/env bash
# Creates .venv beside the checkout and installs spi4xl into it (editable, so standards/ and
# workbook_templates/ are found). Optional argument: extras to install, e.g. "test" or "server".
# Fast when nothing changed: it reinstalls only when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            "$python" -m venv .venv
        else
            echo "setup: '$python -m venv' failed; install python3-venv (Debian) and run again" >&2
            exit 1
        fi
    fi
fi

extras=${1:-}
spec="."
[ -n "$extras" ] && spec=".[$extras]"
stamp=".venv/.spi4xl-setup${extras:+-$extras}"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec"
    echo "$want" >"$stamp"
fi
