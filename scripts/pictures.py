"""Pictures of the workbook for the README: the bundled samples and a Spanish template, through LibreOffice.

    .venv/bin/python scripts/pictures.py            # writes docs/img/*.png
    .venv/bin/python scripts/pictures.py --out /tmp/shots --dpi 110

Needs LibreOffice headless and poppler-utils (pdftoppm), as the tests do (scripts/setup-tests.sh);
nothing else: long sheets are cut to their top part by pdftoppm itself. Run `spi4xl build` and
`python samples/make_samples.py` first when the renderer changed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from spi4xl.engines.libreoffice import LibreOffice
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import sheet_names

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"

# (picture name, workbook, sheet role, top-left part to keep in points (1/72 in): width, height or None)
PICTURES = (
    ("sample-en-start", "samples/sample-audit-en.xlsx", "start", None),
    ("sample-en-questionnaire", "samples/sample-audit-en.xlsx", "questionnaire", (965, 560)),
    ("sample-en-results", "samples/sample-audit-en.xlsx", "results", (630, 520)),
    ("sample-en-dashboard", "samples/sample-audit-en.xlsx", "dashboard", None),
    ("sample-fr-questionnaire", "samples/sample-audit-fr.xlsx", "questionnaire", (965, 560)),
    ("sample-fr-results", "samples/sample-audit-fr.xlsx", "results", (630, 520)),
    ("sample-fr-dashboard", "samples/sample-audit-fr.xlsx", "dashboard", None),
    ("template-es-start", "workbook_templates/spi4xl-usspm-2016-full-es.xlsx", "start", None),
    ("template-es-questionnaire", "workbook_templates/spi4xl-usspm-2016-full-es.xlsx", "questionnaire", (965, 560)),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default: docs/img)")
    parser.add_argument("--dpi", type=int, default=96)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with LibreOffice() as office, tempfile.TemporaryDirectory(prefix="spi4xl-pictures-") as tmp:
        for name, workbook, role, crop in PICTURES:
            path = ROOT / workbook
            sheet = sheet_names(read_workbook(path).audit.language)[role]
            px = (round(crop[0] * args.dpi / 72), round(crop[1] * args.dpi / 72)) if crop else None
            (png,) = office.to_png(path, Path(tmp) / name, sheets=[sheet], dpi=args.dpi, crop=px)
            target = args.out / f"{name}.png"
            png.replace(target)
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
