"""Translations in gettext PO files keyed by `msgctxt = key|field`, with missing/fuzzy/stale detection.

The entry's msgid is the English text the translator saw. When English changes, msgid no longer
equals the source and the translation is *stale* until reviewed; it is then not used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import polib

from spi4xl.errors import Spi4xlError
from spi4xl.output import atomic_output
from spi4xl.records import Record, record

TextKey = tuple[str, str]
STATUSES = ("done", "missing", "fuzzy", "stale", "placeholders")
PLACEHOLDER_RX = re.compile(r"\{[a-z_]*\}")


def msgctxt(key: TextKey) -> str:
    return f"{key[0]}|{key[1]}"


def parse_msgctxt(ctx: str) -> TextKey | None:
    key, sep, field = (ctx or "").rpartition("|")
    return (key, field) if sep and key and field else None


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER_RX.findall(text))


@record
class Entry(Record):
    key: TextKey
    source: str  # current English
    translated_from: str  # the English the translation was made from (msgid)
    translation: str
    status: str


@record
class Translations(Record):
    lang: str
    path: Path
    entries: tuple[Entry, ...]

    @property
    def usable(self) -> dict[TextKey, str]:
        return {e.key: e.translation for e in self.entries if e.status == "done"}

    def count(self, status: str) -> int:
        return sum(e.status == status for e in self.entries)

    @property
    def completeness(self) -> float:
        return self.count("done") / len(self.entries) if self.entries else 1.0


def _status(source: str, po: polib.POEntry | None) -> str:
    if po is None or not po.msgstr.strip():
        return "missing"
    if po.msgid != source:
        return "stale"
    if "fuzzy" in po.flags:
        return "fuzzy"
    if placeholders(po.msgstr) != placeholders(source):
        return "placeholders"
    return "done"


def read_po(path: Path) -> polib.POFile:
    if not path.exists():
        return polib.POFile()
    try:
        return polib.pofile(str(path), encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise Spi4xlError("i18n.po_unreadable", path=path, detail=str(exc)) from None


def read_translations(path: Path, lang: str, source: Mapping[TextKey, str]) -> Translations:
    """Compare a PO file with the current English source, entry by entry."""
    by_key = {}
    for po in read_po(path):
        if not po.obsolete and (key := parse_msgctxt(po.msgctxt)) is not None:
            by_key[key] = po
    entries = []
    for key, text in source.items():
        po = by_key.get(key)
        entries.append(Entry(key, text, po.msgid if po else "", po.msgstr if po else "", _status(text, po)))
    return Translations(lang, path, tuple(entries))


def catalog_translations(root: Path, lang: str, source: Mapping[TextKey, str]) -> Translations:
    return read_translations(root / "locale" / f"{lang}.po", lang, source)


def write_po(path: Path, lang: str, source: Mapping[TextKey, str],
             updates: Mapping[TextKey, str] | None = None, project: str = "spi4xl") -> None:
    """Rewrite a PO file in source order; `updates` set reviewed translations of the current English.

    Existing translations keep the msgid they were made from, so stale ones stay detectable;
    keys that left the source are kept as obsolete entries, never deleted.
    """
    old = read_po(path)
    by_key = {parse_msgctxt(po.msgctxt): po for po in old if not po.obsolete}
    updates = updates or {}
    po_file = polib.POFile(wrapwidth=0)
    po_file.metadata = {
        "Project-Id-Version": project,
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    for key, text in source.items():
        prev = by_key.pop(key, None)
        if key in updates:
            po_file.append(polib.POEntry(msgctxt=msgctxt(key), msgid=text, msgstr=updates[key],
                                         comment=prev.comment if prev else "", tcomment=prev.tcomment if prev else ""))
        elif prev is not None:
            po_file.append(polib.POEntry(msgctxt=msgctxt(key), msgid=prev.msgid, msgstr=prev.msgstr,
                                         flags=list(prev.flags), comment=prev.comment, tcomment=prev.tcomment))
        else:
            po_file.append(polib.POEntry(msgctxt=msgctxt(key), msgid=text, msgstr=""))
    for key, prev in by_key.items():
        if key is not None and prev.msgstr:
            po_file.append(polib.POEntry(msgctxt=prev.msgctxt, msgid=prev.msgid, msgstr=prev.msgstr, obsolete=True))
    for prev in old:  # entries made obsolete by an earlier run stay too, unless their key came back or was just added
        if prev.obsolete and (key := parse_msgctxt(prev.msgctxt)) not in source and key not in by_key:
            po_file.append(polib.POEntry(msgctxt=prev.msgctxt, msgid=prev.msgid, msgstr=prev.msgstr, obsolete=True))
    text = str(po_file)
    if not path.exists() or path.read_text(encoding="utf-8") != text + "\n":
        with atomic_output(path) as temp:
            temp.write_text(text + "\n", encoding="utf-8")
