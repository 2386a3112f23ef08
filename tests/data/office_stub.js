// A stand-in for Office.js in the browser test: Office.onReady, and an Excel object model over
// window.__BOOK__ (the payload an Office.js client would build from the workbook: sheets' values from A1,
// defined names). It serves every call spi4xl.js makes, applies writes to its own copy of the values and
// records them in window.__excel: writes (values written, with sheet and cell), calls (everything else).
(() => {
  "use strict";
  const book = window.__BOOK__;
  const rec = { writes: [], calls: [], syncs: 0 };
  window.__excel = rec;
  const log = (...args) => rec.calls.push(args);
  const sheets = book.sheets.map((s, i) => ({
    name: s.name, position: i, values: s.values.map((row) => row.slice()),
    protection: null,
  }));
  sheets.forEach((sheet) => {
    sheet.protection = {
      protected: true,
      load() {},
      unprotect() { log("unprotect", sheet.name); this.protected = false; },
      protect(options) { log("protect", sheet.name, options); this.protected = true; },
    };
  });

  const column = (n) => { let s = ""; for (n += 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s; return s; };
  const columnIndex = (letters) => [...letters].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
  const quoted = (name) => `'${name.replace(/'/g, "''")}'`;
  function pad(sheet, rows, cols) {
    while (sheet.values.length < rows) sheet.values.push([]);
    sheet.values.forEach((row) => { while (row.length < cols) row.push(""); });
  }

  function range(sheet, r, c, h, w) {
    return {
      isNullObject: false, rowIndex: r, columnIndex: c, rowCount: h, columnCount: w,
      address: `${quoted(sheet.name)}!${column(c)}${r + 1}:${column(c + w - 1)}${r + h}`,
      load() {},
      get values() { pad(sheet, r + h, c + w); return sheet.values.slice(r, r + h).map((row) => row.slice(c, c + w)); },
      set values(values) {
        rec.writes.push({ sheet: sheet.name, row: r, column: c, values });
        pad(sheet, r + values.length, c + Math.max(...values.map((row) => row.length)));
        values.forEach((row, i) => row.forEach((v, j) => { sheet.values[r + i][c + j] = v; }));
      },
      get numberFormatCategories() { return Array.from({ length: h }, () => Array(w).fill("General")); },
      clear(what) { log("clear", sheet.name, r, c, h, w, what); },
      getCell(i, j) { return range(sheet, r + i, c + j, 1, 1); },
      insert(shift) { log("insert", sheet.name, r, h, shift); },
      delete(shift) { log("delete", sheet.name, r, h, shift); },
      format: { fill: { set color(value) { log("fill", sheet.name, r, c, h, w, value); } } },
    };
  }

  function worksheet(sheet) {
    return {
      isNullObject: false,
      get name() { return sheet.name; },
      set name(value) { log("rename", sheet.name, value); sheet.name = value; },
      get position() { return sheet.position; },
      set position(value) { log("position", sheet.name, value); sheet.position = value; },
      load() {},
      protection: sheet.protection,
      shapes: { items: [], load() {} },
      onSelectionChanged: { add() { log("onSelectionChanged", sheet.name); } },
      getUsedRangeOrNullObject() {
        const h = sheet.values.length, w = Math.max(0, ...sheet.values.map((row) => row.length));
        return h && w ? range(sheet, 0, 0, h, w) : { isNullObject: true, load() {} };
      },
      getRangeByIndexes(r, c, h, w) { return range(sheet, r, c, h, w); },
      getRange(address) {
        const rows = address.match(/^(\d+):(\d+)$/);
        if (!rows) throw new Error(`stand-in: getRange(${address})`);
        return range(sheet, rows[1] - 1, 0, rows[2] - rows[1] + 1, 16384);
      },
      delete() { log("sheetDelete", sheet.name); sheets.splice(sheets.indexOf(sheet), 1); },
      activate() { log("activate", sheet.name); },
    };
  }

  const worksheets = {
    get items() { return sheets.map(worksheet); },
    load() {},
    getActiveWorksheet() { return worksheet(sheets[book.book.active_sheet_index || 0]); },
    add(name) { log("addSheet", name); const s = { name, position: sheets.length, values: [], protection: null }; sheets.push(s); return worksheet(s); },
    getItemOrNullObject(name) { const s = sheets.find((x) => x.name === name); return s ? worksheet(s) : { isNullObject: true }; },
  };

  const names = {
    get items() {
      return book.names.map((n) => ({
        name: n.name, type: "Range",
        getRangeOrNullObject() {
          const m = n.address.match(/^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/);
          const r = m[2] - 1, c = columnIndex(m[1]);
          return range(sheets[n.sheet_index], r, c, (m[4] || m[2]) - m[2] + 1, columnIndex(m[3] || m[1]) - c + 1);
        },
      }));
    },
    load() {},
    getItemOrNullObject(name) { return { isNullObject: !book.names.some((n) => n.name === name), delete() { log("nameDelete", name); } }; },
    add(name, reference) { log("namesAdd", name, reference); },
  };

  window.Excel = {
    run: async (job) => job({
      workbook: { name: book.book.name, load() {}, worksheets, names },
      sync: async () => { rec.syncs += 1; },
    }),
  };
  window.Office = { onReady: (callback) => Promise.resolve().then(() => callback({ host: "Excel" })) };
  rec.sheets = () => sheets.map((s) => ({ name: s.name, values: s.values }));
})();
