// Runs tests/lite/driver.py inside Pyodide under Node.js, as xlwings Lite runs a plugin inside Excel.
//
//   node tests/lite/run.mjs PYODIDE_DIR WHEELS_DIR DRIVER_PY CASES_JSON
//
// Pyodide is loaded from the npm package in PYODIDE_DIR; every wheel of WHEELS_DIR is unpacked into its
// site-packages (as micropip installs a pure-Python wheel: files and .dist-info); the environment gets what
// xlwings' own Pyodide runtime sets before importing xlwings (XLWINGS_ON_SERVER, so `from xlwings import script,
// func` are the real decorators; a licence key, which Lite has built in). Network requests are refused and
// reported: nothing may come from a CDN. Prints one JSON object: load time, refused requests, the driver's answer.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, wheelsDir, driverPath, casesPath] = process.argv.slice(2);
const refused = [];
globalThis.fetch = async (url) => {
  refused.push(String(url));
  throw new Error(`network refused in this test: ${url}`);
};

const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
const started = performance.now();
const pyodide = await loadPyodide({
  indexURL: pyodideDir.endsWith("/") ? pyodideDir : pyodideDir + "/",
  env: { HOME: "/home/pyodide", XLWINGS_ON_SERVER: "true", XLWINGS_LICENSE_KEY: "noncommercial" },
  stdout: (line) => process.stderr.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
const loadMs = performance.now() - started;

pyodide.FS.mkdirTree("/tmp/wheels");
for (const name of readdirSync(wheelsDir).filter((n) => n.endsWith(".whl"))) {
  pyodide.FS.writeFile(`/tmp/wheels/${name}`, readFileSync(join(wheelsDir, name)));
}
pyodide.runPython(`
import glob, site, zipfile
for wheel in sorted(glob.glob("/tmp/wheels/*.whl")):
    zipfile.ZipFile(wheel).extractall(site.getsitepackages()[0])
`);
pyodide.FS.writeFile("/tmp/cases.json", readFileSync(casesPath));
pyodide.runPython(readFileSync(driverPath, "utf8"), { filename: "driver.py" });
const answer = await pyodide.runPythonAsync(`await main("/tmp/cases.json")`);
process.stdout.write(JSON.stringify({ load_ms: loadMs, refused, answer: JSON.parse(answer) }));
