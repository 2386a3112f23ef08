"""UNO worker for spi4xl.engines.libreoffice; runs under Debian's /usr/bin/python3 (the one with uno).

Why a separate process: the project's Python has no `uno`, so this script (stdlib + uno only, never
spi4xl) connects to the long-lived soffice and serves one JSON request per stdin line, answering one
JSON line on stdout: {"ok": true, "result": ...} or {"ok": false, "error": str, "fatal": bool}.
"fatal" means the bridge to soffice is gone: the parent restarts both processes.
Usage: lo_worker.py PORT CONNECT_TIMEOUT_SECONDS. On "quit" or end of stdin it terminates soffice,
so a parent killed with SIGKILL does not leave soffice running.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import uno
import unohelper
from com.sun.star.task import XInteractionHandler

# LibreOffice's own .xlsx filter ("Excel 2007-365"); "Calc Office Open XML" is the ISO 29500 variant.
XLSX_FILTER = "Calc MS Excel 2007 XML"
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE: never refresh external links
SCRIPT_PREFIX = "vnd.sun.star.script:"


def prop(name: str, value: Any) -> Any:
    """A com.sun.star.beans.PropertyValue, the argument type of every load/store call."""
    p = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    p.Name, p.Value = name, value
    return p


def file_url(path: str) -> str:
    return uno.systemPathToFileUrl(str(Path(path).resolve()))


class Handler(unohelper.Base, XInteractionHandler):
    """Answers any question LibreOffice asks while loading (there is nobody to click): abort when
    possible, so a password prompt or similar fails fast instead of waiting; remembers each one.
    (LibreOffice 7.4 asked nothing for the corrupt files tried: it fails or silently skips parts.)
    """

    def __init__(self) -> None:
        self.requests: list[str] = []

    def handle(self, request: Any) -> None:
        self.requests.append(type(request.getRequest()).__name__)
        continuations = request.getContinuations()
        for cont in continuations:
            if any(t.typeName == "com.sun.star.task.XInteractionAbort" for t in cont.getTypes()):
                cont.select()
                return
        if continuations:
            continuations[0].select()


class Worker:
    """Holds the UNO desktop; each operation loads one document, works, and closes it."""

    def __init__(self, port: int, timeout: float) -> None:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + timeout
        while True:
            try:
                ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def _load(self, path: str, repair: bool = False) -> tuple[Any, Handler]:
        handler = Handler()
        args = [prop("Hidden", True), prop("MacroExecutionMode", NEVER_EXECUTE), prop("UpdateDocMode", NO_UPDATE),
                prop("InteractionHandler", handler)]
        if repair:
            args.append(prop("RepairPackage", True))
        try:
            doc = self.desktop.loadComponentFromURL(file_url(path), "_blank", 0, tuple(args))
        except Exception as exc:
            if _is_fatal(exc):
                raise
            raise ValueError(f"LibreOffice cannot open it: {_msg(exc)}") from None
        if doc is None:
            raise ValueError("LibreOffice cannot open it (not a readable workbook, or damaged beyond repair)")
        if not doc.supportsService("com.sun.star.sheet.SpreadsheetDocument"):
            doc.close(True)
            raise ValueError("LibreOffice did not open it as a spreadsheet")
        return doc, handler

    def recalculate(self, src: str, dst: str) -> None:
        doc, _ = self._load(src)
        try:
            doc.calculateAll()
            doc.storeToURL(file_url(dst), (prop("FilterName", XLSX_FILTER), prop("Overwrite", True)))
        finally:
            doc.close(True)

    def edit_rows(self, src: str, dst: str, sheet: str, delete: list[int], sort: list[Any] | None) -> None:
        """What an auditor does to a sheet's rows, done by the spreadsheet itself: delete rows (0-based),
        then sort rows `first..last` over columns 0..`last_col` by column `key`; recalculate, save dst."""
        doc, _ = self._load(src)
        try:
            ws = doc.Sheets.getByName(sheet)
            for row in sorted(delete, reverse=True):
                ws.Rows.removeByIndex(row, 1)
            if sort:
                first, last, last_col, key, ascending = sort
                field = uno.createUnoStruct("com.sun.star.table.TableSortField")
                field.Field, field.IsAscending = key, ascending
                rng = ws.getCellRangeByPosition(0, first, last_col, last)
                descriptor = list(rng.createSortDescriptor())
                for p in descriptor:
                    if p.Name == "SortFields":
                        p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
                    elif p.Name == "ContainsHeader":
                        p.Value = False
                uno.invoke(rng, "sort", (tuple(descriptor),))
            doc.calculateAll()
            doc.storeToURL(file_url(dst), (prop("FilterName", XLSX_FILTER), prop("Overwrite", True)))
        finally:
            doc.close(True)

    def inspect(self, path: str) -> dict[str, Any]:
        repaired = False
        try:
            doc, handler = self._load(path)
        except ValueError:  # a damaged zip may still open in repair mode: report that it needed it
            doc, handler = self._load(path, repair=True)
            repaired = True
        try:
            sheets = list(doc.Sheets.ElementNames)
            names = list(doc.NamedRanges.ElementNames)
            validations: dict[str, int] = {}
            buttons: list[dict[str, str]] = []
            for sheet_name in sheets:
                sheet = doc.Sheets.getByName(sheet_name)
                names += [f"{sheet_name}!{n}" for n in sheet.NamedRanges.ElementNames]
                validations[sheet_name] = _validated_cells(sheet)
                buttons += _buttons(sheet, sheet_name)
            return {"sheets": sheets, "names": names, "validations": validations,
                    "basic_modules": _basic_modules(doc), "buttons": buttons,
                    "repaired": repaired, "warnings": handler.requests}
        finally:
            doc.close(True)

    def to_pdf(self, path: str, pdf: str, single_page_sheets: bool = True) -> list[str]:
        """Recalculate and export to PDF, every sheet as one page each, or as the workbook's page setup
        prints it (single_page_sheets false); returns the sheet names in order."""
        doc, _ = self._load(path)
        try:
            doc.calculateAll()
            data = uno.Any("[]com.sun.star.beans.PropertyValue", (prop("SinglePageSheets", single_page_sheets),))
            doc.storeToURL(file_url(pdf), (prop("FilterName", "calc_pdf_Export"), prop("FilterData", data)))
            return list(doc.Sheets.ElementNames)
        finally:
            doc.close(True)

    def quit(self) -> None:
        try:
            self.desktop.terminate()
        except Exception:  # already gone, or the bridge died while it shut down
            pass


def _validated_cells(sheet: Any) -> int:
    """Cells whose validation is not 'any value'. getUniqueCellFormatRanges groups the sheet by
    cell attributes, validation included, so summing group sizes avoids visiting every cell."""
    total = 0
    for ranges in sheet.getUniqueCellFormatRanges():
        if ranges.Validation.Type.value == "ANY":
            continue
        for a in ranges.getRangeAddresses():
            total += (a.EndColumn - a.StartColumn + 1) * (a.EndRow - a.StartRow + 1)
    return total


def _basic_modules(doc: Any) -> list[str]:
    """'Library.Module' for each module; a workbook's VBA lands in library 'VBAProject'."""
    out = []
    libs = doc.BasicLibraries
    for lib_name in libs.ElementNames:
        if not libs.isLibraryLoaded(lib_name):
            libs.loadLibrary(lib_name)
        out += [f"{lib_name}.{module}" for module in libs.getByName(lib_name).ElementNames]
    return out


def _buttons(sheet: Any, sheet_name: str) -> list[dict[str, str]]:
    """Form-control buttons and the macro their events call. Events live on the parent form
    (XEventAttacherManager), indexed by the control's position in that form."""
    out = []
    page = sheet.DrawPage
    for i in range(page.Count):
        shape = page.getByIndex(i)
        if not shape.supportsService("com.sun.star.drawing.ControlShape"):
            continue
        model = shape.Control
        if model is None or not model.supportsService("com.sun.star.form.component.CommandButton"):
            continue
        scripts: list[str] = []
        form = model.Parent
        for idx in range(form.Count if form is not None else 0):
            if form.getByIndex(idx) == model:
                scripts = [e.ScriptCode for e in form.getScriptEvents(idx) if e.ScriptCode]
                break
        script = scripts[0] if scripts else ""
        macro = script[len(SCRIPT_PREFIX):].split("?", 1)[0] if script.startswith(SCRIPT_PREFIX) else script
        out.append({"sheet": sheet_name, "label": model.Label, "macro": macro, "script": script})
    return out


def _msg(exc: BaseException) -> str:
    return str(getattr(exc, "Message", "") or exc or type(exc).__name__).strip()


def _is_fatal(exc: BaseException) -> bool:
    """True when the bridge to soffice is gone (DisposedException, or a dead URP connection)."""
    name, msg = type(exc).__name__, _msg(exc)
    return name == "DisposedException" or (name == "RuntimeException" and "URP" in msg.upper())


def _reply(out: Any, reply: dict[str, Any]) -> None:
    out.write(json.dumps(reply) + "\n")
    out.flush()


def main() -> None:
    port, timeout = int(sys.argv[1]), float(sys.argv[2])
    out, sys.stdout = sys.stdout, sys.stderr  # nothing else may write on the protocol channel
    try:
        worker = Worker(port, timeout)
    except Exception as exc:
        _reply(out, {"ok": False, "error": f"cannot connect to soffice: {_msg(exc)}", "fatal": True})
        return
    _reply(out, {"ok": True, "result": "ready"})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req.pop("op")
        if op == "quit":
            break
        try:
            if op not in {"recalculate", "edit_rows", "inspect", "to_pdf"}:
                raise ValueError(f"unknown operation {op!r}")
            reply = {"ok": True, "result": getattr(worker, op)(**req)}
        except Exception as exc:
            reply = {"ok": False, "error": _msg(exc), "fatal": _is_fatal(exc)}
        _reply(out, reply)
        if reply.get("fatal"):
            return
    worker.quit()


if __name__ == "__main__":
    main()
