"""The workbook contract, declared once: sheet roles, marker rows, column ids and defined names.

Every sheet spi4xl writes starts with a hidden *key row*: its first cell is the role marker
(`spi4xl:questionnaire`) and the other cells name the columns. Readers look for that row and
those names, so renamed sheets, moved columns, inserted rows and sorted tables still read, and
rows are found by code, never by position. Formulas reference columns through defined names.
"""

from __future__ import annotations

from dataclasses import dataclass

MARKER_PREFIX = "spi4xl:"
MARKER_SCAN_ROWS = 30  # a marker row may move down when an auditor inserts rows above it
FIRST_DATA_ROW = 2  # 0-based: key row, header row, then data
ROW_LIMIT = 2000  # defined-name ranges reach this row so inserted rows stay inside them


@dataclass(frozen=True)
class Column:
    id: str
    header: str | None  # UI key of the visible header; None for hidden helper columns
    width: float = 10
    name: str | None = None  # defined name over the column, for formulas
    input: bool = False  # an auditor types here: unlocked when the sheet is protected


@dataclass(frozen=True)
class SheetRole:
    role: str
    title_key: str  # UI key of the sheet name
    columns: tuple[Column, ...] = ()
    keyed: bool = True  # the key row names the columns; False: key/value sheets laid out as declared

    @property
    def marker(self) -> str:
        return MARKER_PREFIX + self.role

    def col(self, column_id: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.id == column_id)


def _cols(*specs: tuple) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


# The first column of each table is the marker column: its key-row cell holds the role marker.
QUESTIONNAIRE = SheetRole("questionnaire", "sheet.questionnaire", _cols(
    ("code", "col.code", 11, "q_code"),
    ("text", "col.text", 60),
    ("guidance", "col.guidance", 45),
    ("answer", "col.answer", 14, "q_answer", True),
    ("comment", "col.comment", 40, None, True),
    ("evidence", "col.evidence", 16, None, True),
    ("flag", "col.flag", 12, None, True),
    ("score", "col.score", 9),
    ("department", "col.department", 18),
    ("principles", "col.principles", 11),
    ("alinus", "col.alinus", 8),
    ("module", "col.module", 12),
    ("mandatory", "col.mandatory", 11),
    # hidden helpers: static facts of the row, then formulas that score it
    ("level", None, 8, "q_level"),
    ("parent", None, 8, "q_parent"),
    ("dimension", None, 4, "q_dim"),
    ("standard", None, 4, "q_std"),
    ("practice", None, 6, "q_ep"),
    ("scale", None, 6, "q_scale"),
    ("fingerprint", None, 10),
    ("unit", None, 4, "q_unit"),  # 1: an indicator counted in dimension/standard/overall scores
    ("indicator", None, 4, "q_ind"),  # 1: an indicator row
    ("alinus01", None, 4, "q_alinus"),
    ("module_code", None, 8, "q_module"),
    *((f"cp{n}", None, 4, f"q_cp{n}") for n in range(1, 8)),
    ("match", None, 4),  # row of the answer in the lists' answer table, 0 when not understood
    # detail rows: their own result, which checklist indicators aggregate (separate columns, no cycles)
    ("ddone", None, 4, "q_ddone"),
    ("dna", None, 4, "q_dna"),
    ("dscored", None, 4, "q_dscored"),
    ("dvalue", None, 4, "q_dvalue"),
    # indicator rows: what the Results sheet aggregates
    ("done", None, 4, "q_done"),  # 1: answered validly (N/A included)
    ("na", None, 4, "q_na"),  # 1: not applicable
    ("scored", None, 4, "q_scored"),  # 1: has a numeric value
    ("value", None, 6, "q_value"),  # the score of the row in [0, 1]
))

ORGANIZATION = SheetRole("organization", "sheet.organization", _cols(
    ("field", None, 4),
    ("label", "col.field", 42),
    ("value", "col.value", 18, None, True),
    ("unit", "col.unit", 16),
    ("mandatory", "col.mandatory", 11),
    ("help", "col.help", 60),
))

# Key/value sheets: the first column holds the key of each row.
START = SheetRole("start", "sheet.start", _cols(("key", None, 4), ("label", None, 28), ("value", None, 60, None, True)), False)
SETTINGS = SheetRole("settings", "sheet.settings", _cols(("key", None, 4), ("label", None, 28), ("value", None, 40, None, True)), False)

RESULTS = SheetRole("results", "sheet.results", _cols(
    ("level", None, 4, "r_level"),
    ("code", "col.code", 10, "r_code"),
    ("name", "level.standard", 60),
    ("score", "col.score", 10, "r_score"),
    ("answered", "col.answered", 10),
    ("applicable", "col.applicable", 10),
    ("total", None, 8),
    ("completion", "col.completion", 11),
    ("parent", None, 6, "r_parent"),
    ("has", None, 4, "r_has"),
    ("scored", None, 4),
))

FINDINGS = SheetRole("findings", "sheet.findings", _cols(
    ("finding", "col.finding", 12),
    ("severity", "col.severity", 10),
    ("sheet", "col.sheet", 16),
    ("cell", "col.cell", 8),
    ("item", "col.code", 11),
    ("message", "col.message", 70),
    ("hint", "col.hint", 50),
))

CONVERSION = SheetRole("conversion", "sheet.conversion", _cols(
    ("status", "col.status", 14),
    ("old_code", "col.old_code", 12),
    ("new_code", "col.new_code", 12),
    ("answer", "col.answer", 14),
    ("comment", "col.comment", 40),
    ("evidence", "col.evidence", 16),
    ("flag", "col.flag", 12),
    ("message", "col.message", 60),
))

PEERS = SheetRole("peers", "sheet.peers", _cols(
    ("unit", "col.unit_name", 50),
    ("code", "col.code", 10),
    ("score", "col.score", 10),
    ("peer_median", "col.peer_median", 12),
    ("peers", "col.peers", 10),
    ("percentile", "col.percentile", 12),
))

DASHBOARD = SheetRole("dashboard", "sheet.dashboard")
LISTS = SheetRole("lists", "sheet.lists")

ROLES = {r.role: r for r in (START, ORGANIZATION, QUESTIONNAIRE, RESULTS, DASHBOARD, FINDINGS, CONVERSION, PEERS,
                                  SETTINGS, LISTS)}

# Keys of the settings sheet (machine-readable facts about the workbook) and their defined names.
SETTINGS_KEYS = ("language", "edition", "catalog_version", "content_hash", "profile", "modules")
SETTING_NAME = {key: f"set_{key}" for key in SETTINGS_KEYS}

# Levels written in the questionnaire's hidden `level` column.
LEVELS = ("dimension", "standard", "practice", "indicator", "detail")

# Reading bounds (spi4xl/workbook/package.py): how far a workbook may reach before it is refused unparsed.
# Room for an auditor's own rows, columns and sheets beside the contract, yet a bounded grid in memory.
READ_ROWS = 4 * ROW_LIMIT
READ_COLUMNS = 4 * max(len(r.columns) for r in ROLES.values())
READ_CELLS = READ_ROWS * READ_COLUMNS  # cells parsed in one workbook, all sheets together
READ_SHEETS = 4 * len(ROLES)
READ_PARTS = 16 * READ_SHEETS  # files inside the zip: a sheet brings its relationships, drawings, comments...
READ_XML_BYTES = 64 * 2**20  # XML inflated from one workbook, all parts together
