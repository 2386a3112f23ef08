/*
 * spi4xl add-in client (task pane, ribbon commands, sheet buttons). Plain Office.js, no build step.
 *
 * It does what xlwings' clients do, for the few things spi4xl needs: collect the workbook (values of
 * the sheets a script reads, and the defined names) as an xlwings payload, post it to
 * /xlwings/custom-scripts-call/<script>, and replay the actions the server returns. Sheets the
 * actions write to are unprotected for the time of the replay when they carry no password (the
 * templates protect their sheets without one) and protected again with the templates' options.
 * Needs ExcelApi 1.12 (Range.numberFormatCategories), the highest set of any API called here: the manifest
 * declares it, docs/office-js-api.md lists every call with its set, tests/test_office_js.py checks both.
 * Tested in headless Chromium against a stand-in for Excel; not verified in Excel itself.
 */
"use strict";

const spi4xl = (() => {
  const TOKEN_KEY = "spi4xl.token";
  const FULL_ROW_COLUMNS = 16384;
  const PROTECTION = { allowFormatColumns: true, allowFormatRows: true };
  let scriptsMeta = null;

  const base = () => window.location.origin + window.location.pathname.replace(/\/[^/]*$/, "");
  const token = () => window.localStorage.getItem(TOKEN_KEY) || "";

  async function meta() {
    if (scriptsMeta === null) {
      const response = await fetch(`${base()}/xlwings/custom-scripts-meta`);
      if (!response.ok) throw new Error(`scripts list: ${response.status}`);
      scriptsMeta = await response.json();
    }
    return scriptsMeta;
  }

  function excelDate(serial) {
    return new Date(Math.round((serial - 25569) * 86400000)).toISOString();
  }

  async function bookData(context, include) {
    const workbook = context.workbook;
    workbook.load("name");
    const worksheets = workbook.worksheets;
    worksheets.load("items/name,items/position");
    const active = worksheets.getActiveWorksheet();
    active.load("position");
    const namedItems = workbook.names;
    namedItems.load("items/name,items/type");
    await context.sync();

    const rangeNames = namedItems.items.filter((item) => item.type === "Range")
      .map((item) => ({ name: item.name, range: item.getRangeOrNullObject() }));
    rangeNames.forEach((n) => n.range.load("address"));
    const sheets = worksheets.items.map((ws) => ({ ws, used: include.includes(ws.name) ? ws.getUsedRangeOrNullObject(true) : null }));
    sheets.forEach((s) => s.used && s.used.load("rowIndex,columnIndex,rowCount,columnCount"));
    await context.sync();

    const position = Object.fromEntries(worksheets.items.map((ws) => [ws.name, ws.position]));
    const names = rangeNames.filter((n) => !n.range.isNullObject && !n.range.address.includes(",")).map((n) => {
      const [sheet, address] = n.range.address.split("!");
      return { name: n.name, sheet_index: position[sheet.replace(/^'|'$/g, "").replace(/''/g, "'")],
               address, book_scope: true, scope_sheet_name: null, scope_sheet_index: null };
    });
    sheets.forEach((s) => {
      if (s.used && !s.used.isNullObject) {
        s.range = s.ws.getRangeByIndexes(0, 0, s.used.rowIndex + s.used.rowCount, s.used.columnIndex + s.used.columnCount);
        s.range.load("values,numberFormatCategories");
      }
    });
    await context.sync();

    return {
      client: "Office.js",
      version: "spi4xl",
      book: { name: workbook.name, active_sheet_index: active.position, selection: null },
      names,
      sheets: sheets.map((s) => {
        let values = [[]];
        if (s.range) {
          values = s.range.values.map((row, r) => row.map((v, c) => {
            const kind = s.range.numberFormatCategories[r][c];
            return typeof v === "number" && (kind === "Date" || kind === "Time") ? excelDate(v) : v;
          }));
        }
        return { name: s.ws.name, values, pictures: [], tables: [] };
      }),
    };
  }

  async function sheetAt(context, position) {
    const worksheets = context.workbook.worksheets;
    worksheets.load("items/position");
    await context.sync();
    const sheet = worksheets.items.find((ws) => ws.position === position);
    if (!sheet) throw new Error(`no sheet at position ${position}`);
    return sheet;
  }

  function rangeOf(sheet, a) {
    if (a.column_count === FULL_ROW_COLUMNS) return sheet.getRange(`${a.start_row + 1}:${a.start_row + a.row_count}`);
    return sheet.getRangeByIndexes(a.start_row, a.start_column, a.row_count, a.column_count);
  }

  async function liftProtection(context, actions) {
    const positions = [...new Set(actions.filter((a) => a.sheet_position !== null && a.func !== "sheetDelete")
      .map((a) => a.sheet_position))];
    const worksheets = context.workbook.worksheets;
    worksheets.load("items/position");
    await context.sync();
    const touched = worksheets.items.filter((ws) => positions.includes(ws.position));
    touched.forEach((ws) => ws.protection.load("protected"));
    await context.sync();
    const lifted = touched.filter((ws) => ws.protection.protected);
    lifted.forEach((ws) => ws.protection.unprotect());
    await context.sync();
    return lifted;
  }

  async function replay(context, actions, messages) {
    const lifted = await liftProtection(context, actions);
    try {
      for (const a of actions) {
        const args = a.args || [];
        if (a.func === "alert") { messages.push({ text: args[0], title: args[1] }); continue; }
        if (a.func === "addSheet") {
          const ws = context.workbook.worksheets.add(args[1]);
          ws.position = args[0];
          await context.sync();
          continue;
        }
        if (a.func === "namesAdd") {
          const old = context.workbook.names.getItemOrNullObject(args[0]);
          await context.sync();
          if (!old.isNullObject) old.delete();
          context.workbook.names.add(args[0], args[1]);
          await context.sync();
          continue;
        }
        const sheet = await sheetAt(context, a.sheet_position);
        switch (a.func) {
          case "setValues": rangeOf(sheet, a).values = a.values; break;
          case "rangeClearContents": rangeOf(sheet, a).clear("Contents"); break;
          case "setRangeColor": rangeOf(sheet, a).format.fill.color = args[0]; break;
          case "setRangeColors": {
            const range = rangeOf(sheet, a);
            args[0].forEach((row, r) => row.forEach((color, c) => {
              if (color !== "keep") range.getCell(r, c).format.fill.color = color;
            }));
            break;
          }
          case "setSheetName": sheet.name = args[0]; break;
          case "sheetDelete": sheet.delete(); break;
          case "activateSheet": sheet.activate(); break;
          case "rangeInsert": rangeOf(sheet, a).insert(args[0] === "down" ? "Down" : "Right"); break;
          case "rangeDelete": rangeOf(sheet, a).delete(args[0] === "up" ? "Up" : "Left"); break;
          default: throw new Error(`spi4xl cannot replay action ${a.func}`);
        }
        await context.sync();
      }
    } finally {
      lifted.forEach((ws) => ws.protection.protect(PROTECTION));
      await context.sync();
    }
  }

  async function run(script, show) {
    const scripts = await meta();
    const entry = scripts.find((s) => s.function_name === script);
    if (!entry) throw new Error(`unknown script ${script}`);
    const include = (entry.include || "").split(",").filter(Boolean);
    const messages = [];
    await Excel.run(async (context) => {
      const payload = await bookData(context, include);
      const headers = { "Content-Type": "application/json" };
      if (token()) headers.Authorization = `Bearer ${token()}`;
      const response = await fetch(`${base()}/xlwings/custom-scripts-call/${script}`, {
        method: "POST", headers, body: JSON.stringify(payload),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(data.detail || `${response.status} ${response.statusText}`);
      await replay(context, data.actions || [], messages);
    });
    messages.forEach((m) => show(m.text, m.title));
  }

  async function registerSheetButtons(show) {
    const scripts = await meta();
    for (const entry of scripts.filter((s) => s.button)) {
      const match = entry.button.match(/^\[(.*?)\](.*)!([A-Z]+\d+)$/);
      if (!match) continue;
      const sheetName = match[2].replace(/^'|'$/g, "").replace(/''/g, "'");
      const cell = match[3];
      await Excel.run(async (context) => {
        const sheet = context.workbook.worksheets.getItemOrNullObject(sheetName);
        await context.sync();
        if (sheet.isNullObject) return;
        const shapes = sheet.shapes;  // found by name among the loaded items (getItemOrNullObject would need 1.14)
        shapes.load("items/name");
        await context.sync();
        if (!shapes.items.some((shape) => shape.name === match[1])) return;
        sheet.onSelectionChanged.add(async (event) => {
          if (event.address !== cell) return;
          try { await run(entry.function_name, show); } catch (error) { show(String(error.message || error), "spi4xl"); }
        });
        await context.sync();
      });
    }
  }

  return { run, registerSheetButtons, TOKEN_KEY };
})();

window.spi4xl = spi4xl;
