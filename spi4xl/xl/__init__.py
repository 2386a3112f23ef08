"""spi4xl inside Excel: the workbook's buttons, through xlwings.

- `grid`: what the renderer writes, recorded as cell grids instead of a file (one source of cell contents).
- `adapter`: `populate(book)`, `validate(book)`, `score(book)` for any xlwings engine.
- `macros`: desktop entry points for the .xlsm buttons (`RunPython`, open-source xlwings).
- `server`: `spi4xl serve`, the same jobs as xlwings Server scripts for the Office.js add-in and
  xlwings' VBA client (xlwings PRO: see the README for its licence).
- `shapes`: the named sheet-button shapes of the .xlsx templates (Office.js buttons).
- `payload`: the JSON an xlwings client would send, built from a workbook file (tests, benchmarks, curl).

Importing this package imports neither xlwings nor FastAPI.
"""
