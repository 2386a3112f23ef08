"""Calls the xlwings Lite plugin the way a Lite-like runtime does; the same code runs in Pyodide and in CPython.

The flow is that of xlwings' own Pyodide runtime (xlwings-server's wasm/wasm_runtime.py, the published
relative of Lite's): the add-in's payload becomes `xw.Book(json=payload)`, a script runs through
`xlwings.server.custom_scripts_call(module, name, typehint_to_value={xw.Book: book})` and what goes back to
Excel is `book.json()` (its queued actions); a custom function runs through
`xlwings.server.custom_functions_call(data, module)`; what the add-in lists comes from
`custom_scripts_meta(module)` and `custom_functions_meta(module)`.

`main(cases_path)` reads cases (a payload per job, function calls, how many repeats) and returns JSON:
the plugin's registrations, the import time and the modules it loaded, and per case the actions of
each script and the value of each call, with their timings (milliseconds).
"""

import asyncio
import importlib
import json
import sys
import time
import types

async def main(cases_path: str) -> str:
    with open(cases_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    started = time.perf_counter()
    import xlwings as xw
    import xlwings.server

    xlwings_ms = (time.perf_counter() - started) * 1000
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="xlwings_lite.plugins") if e.name == "spi4xl"]
    plugin = importlib.import_module(entry.value)
    import_ms = (time.perf_counter() - started) * 1000
    out = {
        "platform": sys.platform,
        "python": sys.version.split()[0],
        "xlwings": xw.__version__,
        "import_ms": import_ms,
        "xlwings_import_ms": xlwings_ms,
        "scripts": xlwings.server.custom_scripts_meta(plugin),
        "functions": sorted(f["name"] for f in xlwings.server.custom_functions_meta(plugin)["functions"]),
        "cases": [],
    }
    main_py = types.ModuleType("main")  # a workbook's main.py holding the one-line fallback of the README
    exec("from spi4xl.xl.lite import *", main_py.__dict__)
    out["main_py"] = {"scripts": xlwings.server.custom_scripts_meta(main_py),
                      "functions": sorted(f["name"] for f in xlwings.server.custom_functions_meta(main_py)["functions"])}
    for case in spec["cases"]:
        done = {"name": case["name"], "jobs": {}, "calls": []}
        for job, payload in case["payloads"].items():
            times, actions = [], None
            for _ in range(spec.get("repeat", 1)):
                book = xw.Book(json=json.loads(json.dumps(payload)))  # a fresh copy: the engine keeps state in it
                t = time.perf_counter()
                book = await xlwings.server.custom_scripts_call(plugin, job, typehint_to_value={xw.Book: book})
                times.append((time.perf_counter() - t) * 1000)
                actions = book.json()["actions"]
            done["jobs"][job] = {"ms": times, "actions": actions}
        for call in case.get("calls", []):
            data = {"client": "Office.js", "func_name": call["func"], "args": call["args"], "caller_address": None,
                    "session_id": "test", "culture_info_name": "en-US", "date_format": "M/d/yyyy",
                    "version": xw.__version__, "runtime": "1.4"}  # the body of xlwings' custom-functions JS client
            t = time.perf_counter()
            try:
                value = await xlwings.server.custom_functions_call(data, plugin)
            except Exception as exc:  # noqa: BLE001 - Excel shows a failing function as an error value: so do we
                value = f"{type(exc).__name__}: {exc}"
            done["calls"].append({"func": call["func"], "label": call.get("label", ""), "value": value,
                                  "ms": (time.perf_counter() - t) * 1000})
        out["cases"].append(done)
    return json.dumps(out, default=str)


if __name__ == "__main__" and sys.platform != "emscripten":  # the CPython side (Pyodide runs main itself)
    print(asyncio.run(main(sys.argv[1])))
