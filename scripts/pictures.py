"""Pictures of the workbook for the README: the bundled samples and a Spanish template, through LibreOffice.

    .venv/bin/python scripts/pictures.py            # writes docs/img/*.png
    .venv/bin/python scripts/pictures.py --out /tmp/shots --dpi 110
    (print-*.png: pages as the workbook prints them, --print-dpi 60)

Needs LibreOffice headless and poppler-utils (pdftoppm), as the tests do (scripts/setup-tests.sh);
nothing else: long sheets are cut to their top part by pdftoppm itself. Run `spi4xl build` and
`python samples/make_samples.py` first when the renderer changed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from spi4xl.engines.libreoffice import LibreOffice, pages_by_sheet, pdf_page_texts
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
    ("sample-fr-plan", "samples/sample-audit-fr.xlsx", "plan", (965, 400)),
    ("template-es-start", "workbook_templates/spi4xl-usspm-2016-full-es.xlsx", "start", None),
    ("template-es-questionnaire", "workbook_templates/spi4xl-usspm-2016-full-es.xlsx", "questionnaire", (965, 560)),
)

# (picture name, workbook, sheet role, page of that sheet): pages as the workbook prints them
PRINTED = (
    ("print-en-start", "samples/sample-audit-en.xlsx", "start", 1),
    ("print-en-results", "samples/sample-audit-en.xlsx", "results", 1),
    ("print-en-dashboard-1", "samples/sample-audit-en.xlsx", "dashboard", 1),
    ("print-en-dashboard-2", "samples/sample-audit-en.xlsx", "dashboard", 2),
)


def printed_pictures(office: LibreOffice, tmp: Path, out: Path, dpi: int) -> None:
    """Pages of the workbooks printed with their own page setup (paper, scaling, header and footer)."""
    for workbook in dict.fromkeys(w for _, w, _, _ in PRINTED):
        path = ROOT / workbook
        names = sheet_names(read_workbook(path).audit.language)
        pdf = office.print_pdf(path, tmp / (path.stem + ".pdf"))
        pages = pages_by_sheet(pdf_page_texts(pdf), names.values())
        for name, _, role, page in (p for p in PRINTED if p[1] == workbook):
            target = out / name
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(pages[names[role]][page - 1]),
                            "-l", str(pages[names[role]][page - 1]), "-singlefile", pdf, target], check=True)
            print(f"wrote {target.with_suffix('.png')}")


def merged_sample(folder: Path) -> Path:
    """The English sample split for HR and Finance, filled by three people (two HR copies disagree), merged."""
    import dataclasses

    from spi4xl.catalog import load_catalog
    from spi4xl.parts import merge_files, split
    from spi4xl.workbook.render import render

    catalog = load_catalog()
    src = ROOT / "samples" / "sample-audit-en.xlsx"
    hr, finance = (Path(e["file"]) for e in split(src, folder / "parts", ["hr", "finance"]))
    before = read_workbook(hr).audit.answers
    hr_codes = [i.code for i in catalog.indicators(departments=("hr",)) if not i.is_checklist][:3]
    one, other = [a for a in ("yes", "partially", "no") if a != before.get(hr_codes[0])][:2]  # both new: a conflict
    fills = (
        (hr, "hr-awa.xlsx", "Awa Diallo", {hr_codes[0]: one, hr_codes[1]: "partially"}, {"staff_total": 318}),
        (hr, "hr-binta.xlsx", "Binta Sow", {hr_codes[0]: other, hr_codes[2]: "yes"}, {}),
        (finance, "finance.xlsx", "finance", {}, {"gross_loan_portfolio": 12_400_000_000, "average_loan": 310_000}),
    )
    files = []
    for part, name, who, answers, org in fills:
        audit = read_workbook(part).audit
        filled = dataclasses.replace(audit, origin=who, answers={**audit.answers, **answers}, org={**audit.org, **org})
        files.append(render(catalog, "en", filled, folder / name))
    out = folder / "merged-en.xlsx"
    merge_files(files, src, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default: docs/img)")
    parser.add_argument("--dpi", type=int, default=96)
    parser.add_argument("--print-dpi", type=int, default=60, help="resolution of the printed pages")
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
        merged = merged_sample(Path(tmp))
        (png,) = office.to_png(merged, Path(tmp) / "merge", sheets=[sheet_names("en")["merge"]], dpi=args.dpi,
                               crop=(round(1180 * args.dpi / 72), round(260 * args.dpi / 72)))
        png.replace(args.out / "merge-report-en.png")
        print(f"wrote {args.out / 'merge-report-en.png'}")
        printed_pictures(office, Path(tmp), args.out, args.print_dpi)
    return 0


if __name__ == "__main__":
    sys.exit(main())
