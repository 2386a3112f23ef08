"""Pictures of the audit report for the README: pages 1 and 2 of the PDF of each bundled sample.

    .venv/bin/python scripts/report_pictures.py            # writes docs/img/report-<lang>-<page>.png
    .venv/bin/python scripts/report_pictures.py --dpi 60 --out /tmp/shots

Needs a Chromium-family browser (scripts/setup-tests.sh installs Debian's chromium) and poppler-utils (pdftoppm).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from spi4xl.reporting import Options, write_report

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for lang in ("en", "fr"):
            pdf = write_report(ROOT / "samples" / f"sample-audit-{lang}.xlsx", Path(folder) / f"{lang}.pdf", Options())
            subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), "-f", "1", "-l", "2", str(pdf),
                            str(Path(folder) / lang)], check=True)
            # pdftoppm numbers pages with as many digits as the document needs: 1 and 2 are the first two
            for page, found in enumerate(sorted(Path(folder).glob(f"{lang}-*.png")), start=1):
                target = out / f"report-{lang}-{page}.png"
                found.replace(target)
                print(f"wrote {target}")


if __name__ == "__main__":
    main()
