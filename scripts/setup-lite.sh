#!/usr/bin/env bash
# What the xlwings Lite test (tests/test_lite.py) and benchmark (benchmarks/bench_lite.py) need, cached in .cache/lite/
# (ignored by git) so that later runs are offline and fast:
# - Node.js and npm (Debian's packages; installed here when run as root and missing);
# - the `pyodide` npm package, pinned below: Python 3.14 in WebAssembly, the runtime xlwings Lite is built on;
# - the pure-Python wheels the plugin needs in Pyodide besides spi4xl itself (xlwings, which Lite provides).
# Nothing is fetched from a CDN: the tests load Pyodide from this folder and refuse any network request.
# Idempotent: does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PYODIDE_VERSION=314.0.7  # the 314 series (Python 3.14) that xlwings Lite runs since mid-2026; latest 314.0.x here
XLWINGS_VERSION=$(sed -n "s/.*\"xlwings==\([0-9.]*\); sys_platform != 'emscripten'\".*/\1/p" pyproject.toml)
PY_VERSION=3.14
CACHE=.cache/lite
python=.venv/bin/python  # scripts/setup.sh made it (Debian's python3 may have no pip)
[ -x "$python" ] || python=python3

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-lite: node or npm is missing; run this script as root (apt-get install nodejs npm)" >&2
        exit 1
    fi
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

mkdir -p "$CACHE/wheels"
if [ "$(node -p "try { require('./$CACHE/node/node_modules/pyodide/package.json').version } catch (e) { '' }")" != "$PYODIDE_VERSION" ]; then
    npm install --silent --no-audit --no-fund --prefix "$CACHE/node" "pyodide@$PYODIDE_VERSION" >/dev/null
fi
if [ ! -e "$CACHE/wheels/xlwings-$XLWINGS_VERSION-py3-none-any.whl" ]; then
    rm -f "$CACHE"/wheels/xlwings-*.whl
    "$python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --platform any \
        --implementation py --python-version "$PY_VERSION" -d "$CACHE/wheels" "xlwings==$XLWINGS_VERSION"
fi
