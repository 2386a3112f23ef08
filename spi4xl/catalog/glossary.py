"""The glossary of an edition: per language, the preferred term and the variants no text may use.

`standards/<edition>/glossary.yaml` keeps terminology from drifting: `spi4xl catalog check` looks for the
forbidden variants in every catalog and interface text, and the translators' workbook shows the terms.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Iterable, Mapping

from spi4xl.po import TextKey
from spi4xl.records import Record, record
from spi4xl.strict_yaml import Node, load_yaml

GLOSSARY_FILE = "glossary.yaml"


@record
class GlossaryTerm(Record):
    lang: str
    term: str  # the preferred term
    forbidden: tuple[str, ...]  # variants matched as whole words, whatever their case and spacing
    note: str = ""
    allowed: tuple[str, ...] = ()  # phrases holding a variant that are right as they are (a proper name)

    @cached_property
    def pattern(self) -> re.Pattern:
        return _words(self.forbidden)

    def find(self, text: str) -> list[str]:
        """The forbidden variants in `text`, as written there, outside the allowed phrases."""
        if self.allowed:
            text = _words(self.allowed).sub(" ", text)
        return [m.group(0) for m in self.pattern.finditer(text)]


def _words(phrases: Iterable[str]) -> re.Pattern:
    words = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)


@record
class Hit(Record):
    key: TextKey
    found: str  # the variant as the text writes it
    term: GlossaryTerm


def load_glossary(root: Path) -> tuple[GlossaryTerm, ...]:
    """The terms of the edition folder `root` (none when it has no glossary), in file order."""
    path = root / GLOSSARY_FILE
    if not path.is_file():
        return ()
    shown = f"{root.name}/{GLOSSARY_FILE}"
    node = Node(load_yaml(path, shown), shown)
    terms = []
    for lang in sorted(node.data, key=str):
        for tn in node.items(str(lang)):
            terms.append(GlossaryTerm(str(lang), tn.text("term"), tn.strings("forbidden"), tn.text("note", None) or "",
                                      tn.strings("allowed", ())))
            tn.close()
    return tuple(terms)


def glossary_hits(terms: Iterable[GlossaryTerm], lang: str, texts: Mapping[TextKey, str]) -> list[Hit]:
    """Every forbidden variant of `lang`'s terms found in `texts`, in text order."""
    mine = [t for t in terms if t.lang == lang]
    return [Hit(key, found, t) for key, text in texts.items() for t in mine for found in t.find(text)]
