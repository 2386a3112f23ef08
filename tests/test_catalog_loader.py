"""The strict catalog loader, the immutable model and the real usspm-2016 catalog.

Broken catalogs are test cases as data (as in OpenFisca and pyxform): each case copies the minimal
valid catalog `fixtures/catalogs/mini`, applies one declared text edit to one file, and states the
file, the key path and the message fragment the loader must report, with a hint on how to fix it.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from spi4xl.catalog import load_catalog
from spi4xl.catalog.check import check_catalog, translation_reports
from spi4xl.catalog.model import Catalog, Indicator
from spi4xl.strict_yaml import load_yaml
from spi4xl.errors import CatalogError, Spi4xlError

MINI = Path(__file__).parent / "fixtures" / "catalogs" / "mini"
DELETE = None  # `old` and `new` both DELETE: remove the file


def catalog_problems(catalog: Catalog) -> list:
    """Problems of `catalog check` about the catalog itself (not the interface strings of spi4xl/ui)."""
    return [p for p in check_catalog(catalog) if not p.where.startswith(("spi4xl/ui", "ui "))]


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A private copy of the minimal catalog, free to break."""
    return Path(shutil.copytree(MINI, tmp_path / "mini"))


def edit(root: Path, file: str, old: str | None, new: str | None) -> None:
    """Replace the one occurrence of `old` in `file` by `new` (both None: delete the file)."""
    path = root / file
    if old is None and new is None:
        path.unlink()
        return
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the fixture changed: {old!r} must occur exactly once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    file: str  # the file edited, relative to the catalog folder
    old: str | None  # text replaced, exactly once
    new: str | None
    where: str  # the file the error must name (relative to the catalog folder)
    path: str  # the key path the error must name
    says: str  # a fragment of the message
    fix: str  # a fragment of the hint: how to fix it

    def __str__(self) -> str:
        return self.name


A = "dimensions/1/1A.yaml"
IND0 = "practices[0].indicators[0]"  # 1A.1.1
IND1 = "practices[0].indicators[1]"  # 1A.1.2, the checklist
IND2 = "practices[1].indicators[0]"  # 1A.2.1
# fmt: off
CASES = [Case(*row) for row in (
    # --- unknown and duplicate keys, YAML syntax --------------------------------------------
    ("unknown key in an indicator", A, "    alinus: true\n", "    alinus: true\n    colour: red\n",
     A, f"{IND0}.colour", "unknown key", 'check its spelling (known: alinus, code,'),
    ("unknown key at the top of catalog.yaml", "catalog.yaml", "licence:", "license: x\nlicence:",
     "catalog.yaml", "license", "unknown key", 'remove it or check its spelling'),
    ("unknown key in a scale answer", "catalog.yaml", "    label: Partially\n", "    label: Partially\n    colour: red\n",
     "catalog.yaml", "scales[0].answers[1].colour", "unknown key", 'known: aliases, code, label, value'),
    ("duplicate key (YAML)", A, "    department: management\n    evidence: [document]\n",
     "    department: management\n    department: board\n    evidence: [document]\n",
     A, f"{IND0}.department", "duplicate key 'department'", 'keep one'),
    ("duplicate key at the top", "dimensions/1/dimension.yaml", "name: Social goals\n", "name: Social goals\nname: Goals\n",
     "dimensions/1/dimension.yaml", "name", "duplicate key 'name'", 'keep one'),
    ("invalid YAML syntax", "dimensions/2/2A.yaml", "name: Clients are treated fairly", "name: Clients: treated fairly",
     "dimensions/2/2A.yaml", "", "not valid YAML at line 2", "quote strings with ':'"),
    ("not a mapping", "dimensions/2/dimension.yaml", "code: '2'\nname: Client protection\n", "- '2'\n",
     "dimensions/2/dimension.yaml", "(top)", "expected a mapping", 'key: value'),
    # --- codes --------------------------------------------------------------------------------
    ("duplicate code", A, "  - code: 1A.1.2\n", "  - code: 1A.1.1\n",
     A, f"{IND1}.code", "duplicate code '1A.1.1'", 'new number'),
    ("indicator code under the wrong practice", A, "  - code: 1A.2.1\n", "  - code: 1A.1.3\n",
     A, f"{IND2}.code", "indicator code '1A.1.3' breaks the pattern under 1A.2", 'e.g. 1A.2.1'),
    ("practice code under the wrong standard", A, "- code: 1A.2\n", "- code: 1B.2\n",
     A, "practices[1].code", "practice code '1B.2' breaks the pattern under 1A", 'e.g. 1A.1'),
    ("detail code under the wrong indicator", A, "code: 1A.1.2.2", "code: 1A.1.1.2",
     A, f"{IND1}.details[1].code", "detail code '1A.1.1.2' breaks the pattern under 1A.1.2", 'e.g. 1A.1.2.1'),
    ("standard code not matching its file name", "dimensions/2/2A.yaml", "code: 2A\n", "code: 2B\n",
     "dimensions/2/2A.yaml", "code", "standard '2B' lives in file '2A.yaml'", 'rename the file to 2B.yaml'),
    ("standard code under the wrong dimension", "dimensions/2/2A.yaml", "code: 2A\n", "code: 1B\n",
     "dimensions/2/2A.yaml", "code", "standard code '1B' breaks the pattern under 2", 'e.g. 2A'),
    ("dimension code not matching its folder", "dimensions/2/dimension.yaml", "code: '2'", "code: '3'",
     "dimensions/2/dimension.yaml", "code", "dimension '3' lives in folder '2'", 'move the file or fix the code'),
    ("dimension code as a number", "dimensions/2/dimension.yaml", "code: '2'", "code: 2",
     "dimensions/2/dimension.yaml", "code", "expected str, found 2", 'quote'),
    # --- references to catalog.yaml ----------------------------------------------------------
    ("undefined principle", A, "principles: [{code: CP1,", "principles: [{code: CP9,",
     A, f"{IND0}.principles[0]", "undefined principle 'CP9'", 'add it to catalog.yaml'),
    ("undefined module", A, "module: gender", "module: youth",
     A, f"{IND2}.module", "undefined module 'youth'", 'add it to catalog.yaml'),
    ("undefined department", A, "department: board", "department: sales",
     A, f"{IND1}.department", "undefined department 'sales'", 'add it to catalog.yaml'),
    ("undefined evidence type", A, "evidence: [document, interview]", "evidence: [document, rumour]",
     A, f"{IND1}.evidence[1]", "undefined evidence type 'rumour'", 'add it to catalog.yaml'),
    ("undefined scale on an indicator", A, "scale: yn\n", "scale: ynp\n",
     A, f"{IND0}.scale", "undefined scale 'ynp'", 'add it to catalog.yaml'),
    ("undefined default scale", "catalog.yaml", "default_scale: ypn", "default_scale: abc",
     "catalog.yaml", "default_scale", "undefined scale 'abc'", 'add it there'),
    ("module core missing", "catalog.yaml", "- code: core\n  name: Core\n", "",
     "catalog.yaml", "modules", "the module 'core' is missing", 'code: core'),
    # --- scoring and scales ------------------------------------------------------------------
    ("bad scoring method", "catalog.yaml", "method: pooled_mean", "method: median",
     "catalog.yaml", "scoring.method", "unknown method 'median'", 'use one of pooled_mean, mean_of_children'),
    ("bad checklist scoring", "catalog.yaml", "checklist: share_met", "checklist: all_met",
     "catalog.yaml", "scoring.checklist", "unknown checklist scoring 'all_met'", 'use share_met'),
    ("checklist with fewer than 2 details", A, "    - code: 1A.1.2.2\n      text: Income level\n", "",
     A, f"{IND1}.details", "at least 2 detail items", 'add details or use kind: answer'),
    ("unknown indicator kind", A, "kind: checklist", "kind: list",
     A, f"{IND1}.kind", "unknown kind 'list'", 'use answer or checklist'),
    ("allow_na true without an N/A answer", "catalog.yaml", "- id: yn\n  allow_na: false", "- id: yn\n  allow_na: true",
     "catalog.yaml", "scales[2].allow_na", "allow_na must be true exactly when", 'allow_na: false'),
    ("allow_na false with an N/A answer", "catalog.yaml", "- id: ynn\n  allow_na: true", "- id: ynn\n  allow_na: false",
     "catalog.yaml", "scales[1].allow_na", "allow_na must be true exactly when", 'allow_na: true'),
    ("answer without a value", "catalog.yaml", "    value: 0.5\n", "",
     "catalog.yaml", "scales[0].answers[1].value", "is required", 'value: null for not applicable'),
    ("answer value above 1", "catalog.yaml", "    value: 0.5\n", "    value: 5\n",
     "catalog.yaml", "scales[0].answers[1].value", "value 5 is outside 0..1", 'between 0 and 1'),
    ("answer value below 0", "catalog.yaml", "- id: yn\n  allow_na: false\n  answers:\n  - code: yes\n    value: 1",
     "- id: yn\n  allow_na: false\n  answers:\n  - code: yes\n    value: -1", "catalog.yaml", "scales[2].answers[0].value", "outside 0..1", 'between 0 and 1'),
    ("duplicate scale", "catalog.yaml", "- id: yn\n", "- id: ynn\n",
     "catalog.yaml", "scales[2].id", "duplicate scale 'ynn'", 'its own id'),
    ("duplicate principle", "catalog.yaml", "- code: CP2\n", "- code: CP1\n",
     "catalog.yaml", "principles[1].code", "duplicate principle 'CP1'", 'its own code'),
    # --- organization.yaml -------------------------------------------------------------------
    ("org field with unknown type", "organization.yaml", "  type: date\n", "  type: datetime\n",
     "organization.yaml", "fields[4].type", "unknown type 'datetime'", 'use one of integer, number, percent, currency, date, choice, text'),
    ("choice field without choices", "organization.yaml", "  choices:\n  - code: ngo\n    label: NGO\n  - code: bank\n    label: Bank\n", "",
     "organization.yaml", "fields[0].choices", "choices are required for type: choice", 'add choices'),
    ("choices on a text field", "organization.yaml", "  type: text\n", "  type: text\n  choices:\n  - code: eur\n    label: Euro\n",
     "organization.yaml", "fields[5].choices", "only there", 'remove choices or use type: choice'),
    ("bounds on a non-numeric field", "organization.yaml", "  type: text\n", "  type: text\n  min: 3\n",
     "organization.yaml", "fields[5].min", "bounds need a numeric type, not text", 'remove min/max'),
    ("dashboard on a non-numeric field", "organization.yaml", "  type: text\n", "  type: text\n  dashboard: true\n",
     "organization.yaml", "fields[5].dashboard", "the dashboard shows numbers, not text", 'remove dashboard: true'),
    ("min above max", "organization.yaml", "  min: 0\n  max: 1\n", "  min: 1\n  max: 0\n",
     "organization.yaml", "fields[3].min", "min 1 is above max 0", 'correct the bounds'),
    ("duplicate org field", "organization.yaml", "- id: women_share\n", "- id: women_clients\n",
     "organization.yaml", "fields[3].id", "duplicate field 'women_clients'", 'its own id'),
    ("rule on an unknown field", "organization.yaml", "  left: women_clients\n", "  left: men_clients\n",
     "organization.yaml", "rules[0].left", "'men_clients' is not a numeric field", 'name the id of an integer, number, percent or currency field'),
    ("rule on a non-numeric field", "organization.yaml", "  right: active_clients\n", "  right: currency\n",
     "organization.yaml", "rules[0].right", "'currency' is not a numeric field", 'name the id of an integer, number, percent or currency field'),
    ("rule with a bad operator", "organization.yaml", "  op: <=\n", "  op: =<\n",
     "organization.yaml", "rules[0].op", "unknown operator '=<'", 'use one of <= < >= > =='),
    # --- required keys and types -------------------------------------------------------------
    ("missing required key", A, "    department: management\n    evidence: [document]\n", "    evidence: [document]\n",
     A, f"{IND0}.department", "is required", "add 'department:'"),
    ("missing required text", "dimensions/2/2A.yaml", "    guidance: Read the code and ask staff about it.\n", "",
     "dimensions/2/2A.yaml", "practices[0].indicators[0].guidance", "is required", "add 'guidance:'"),
    ("empty text", "dimensions/1/dimension.yaml", "name: Social goals", "name: ''",
     "dimensions/1/dimension.yaml", "name", "is empty", 'write the text'),
    ("wrong type: quoted boolean", A, "mandatory: false", 'mandatory: "yes"',
     A, f"{IND0}.mandatory", "expected bool, found 'yes'", 'write true or false'),
    ("YAML 1.1 boolean no stays a string", A, "mandatory: false", "mandatory: no",
     A, f"{IND0}.mandatory", "expected bool, found 'no'", 'write true or false'),
    ("YAML 1.1 boolean on stays a string", "catalog.yaml", "- id: yn\n  allow_na: false", "- id: yn\n  allow_na: off",
     "catalog.yaml", "scales[2].allow_na", "expected bool, found 'off'", 'write true or false'),
    ("wrong type: list expected", A, "evidence: [document]", "evidence: document",
     A, f"{IND0}.evidence", "expected list", 'write a list'),
    ("unquoted date", "catalog.yaml", "date: '2026-01-01'", "date: 2026-01-01",
     "catalog.yaml", "date", "expected str", 'quote'),
    ("bad version", "catalog.yaml", "version: 1.0.0", "version: '1.0'",
     "catalog.yaml", "version", "not a version number", 'MAJOR.MINOR.PATCH'),
    # --- files and catalog metadata ----------------------------------------------------------
    ("dimension file missing", "dimensions/1/dimension.yaml", DELETE, DELETE,
     "dimensions/1/dimension.yaml", "", "file is missing", 'restore it'),
    ("organization.yaml missing", "organization.yaml", DELETE, DELETE,
     "organization.yaml", "", "file is missing", 'restore it'),
    ("catalog.yaml missing", "catalog.yaml", DELETE, DELETE,
     "catalog.yaml", "", "file is missing", 'restore it'),
    ("dimension without standards", "dimensions/2/2A.yaml", DELETE, DELETE,
     "dimensions/2", "", "dimension has no standard files", 'add 2A.yaml'),
    ("languages not starting with en", "catalog.yaml", "languages: [en, fr, es]", "languages: [fr, en, es]",
     "catalog.yaml", "languages", "English must come first", 'languages: [en, ...]'),
    ("edition differing from its folder", "catalog.yaml", "edition: mini", "edition: mini-2",
     "catalog.yaml", "edition", "edition 'mini-2' differs from its folder 'mini'", 'write edition: mini or rename the folder'),
)]
# fmt: on


def test_mini_fixture_is_valid(mini: Path) -> None:
    catalog = load_catalog(mini)
    assert isinstance(catalog, Catalog)
    assert catalog.id == catalog.edition == "mini"
    assert [d.code for d in catalog.dimensions] == ["1", "2"]
    assert [s.code for s in catalog.standards] == ["1A", "2A"]
    assert [i.code for i in catalog.all_indicators()] == ["1A.1.1", "1A.1.2", "1A.2.1", "2A.1.1"]
    assert [d.code for d in catalog.indicator("1A.1.2").details] == ["1A.1.2.1", "1A.1.2.2"]
    assert catalog_problems(catalog) == []


def test_cases_have_unique_names() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_broken_catalog_is_refused(case: Case, mini: Path) -> None:
    edit(mini, case.file, case.old, case.new)
    with pytest.raises(CatalogError) as caught:
        load_catalog(mini)
    err = caught.value
    assert err.file == f"mini/{case.where}", str(err)
    assert err.path == case.path, str(err)
    assert case.says in err.problem, str(err)
    assert case.fix in err.hint, str(err)
    shown = str(err)
    assert "\n" not in shown
    assert shown.startswith(f"mini/{case.where}: " + (f"{case.path}: " if case.path else ""))
    assert shown.endswith(f"(fix: {err.hint})")


def test_duplicate_key_names_its_line(mini: Path) -> None:
    edit(mini, A, "    department: management\n    evidence: [document]\n",
         "    department: management\n    department: board\n    evidence: [document]\n")
    with pytest.raises(CatalogError, match=r"duplicate key 'department' at line 15"):
        load_catalog(mini)


def test_edition_folder_may_be_renamed_with_its_edition(tmp_path: Path) -> None:
    root = Path(shutil.copytree(MINI, tmp_path / "mini-2"))
    edit(root, "catalog.yaml", "edition: mini", "edition: mini-2")
    assert load_catalog(root).edition == "mini-2"


def test_unknown_edition_is_a_plain_error() -> None:
    with pytest.raises(Spi4xlError, match=r"unknown catalog edition 'no-such-edition' \(known: .*usspm-2016"):
        load_catalog("no-such-edition")


# --- YAML 1.2 booleans -------------------------------------------------------------------------
def test_yaml_11_booleans_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: true\nh: false\ni: na\n", encoding="utf-8")
    assert load_yaml(path, "b.yaml") == {
        "a": "yes", "b": "no", "c": "on", "d": "off", "e": "y", "f": "n", "g": True, "h": False, "i": "na",
    }


def test_unquoted_yes_no_answer_codes_are_strings(mini: Path) -> None:
    # the fixture writes `code: yes` and `code: no` unquoted on purpose
    assert "  - code: yes\n" in (mini / "catalog.yaml").read_text(encoding="utf-8")
    catalog = load_catalog(mini)
    assert catalog.scales["ypn"].codes == ("yes", "partially", "no", "na")
    assert catalog.scales["ypn"].answer("yes").value == 1.0
    assert catalog.scales["ypn"].answer("na").is_na
    assert catalog.scales["yn"].allow_na is False


# --- the model ---------------------------------------------------------------------------------
def test_defaults_are_applied(mini: Path) -> None:
    catalog = load_catalog(mini)
    first, checklist, gender, other = catalog.all_indicators()
    assert (first.scale, first.mandatory, first.alinus, first.module) == ("yn", False, True, "core")
    assert (checklist.kind, checklist.scale, checklist.mandatory, checklist.alinus) == ("checklist", "ypn", True, False)
    assert checklist.is_checklist and not first.is_checklist
    assert all(d.scale == "ynn" for d in checklist.details)
    assert (gender.module, gender.principles, gender.practice, gender.standard, gender.dimension) == \
        ("gender", ("CP2",), "1A.2", "1A", "1")
    assert other.evidence == ("document",)


def test_model_is_immutable(mini: Path) -> None:
    catalog = load_catalog(mini)
    indicator = catalog.indicator("1A.1.1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.version = "9.9.9"
    with pytest.raises(dataclasses.FrozenInstanceError):
        indicator.mandatory = True
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.scales["ypn"].allow_na = False
    with pytest.raises(TypeError):
        catalog.texts["en"][("1A", "name")] = "changed"
    with pytest.raises(TypeError):
        catalog.texts["fr"] = {}
    with pytest.raises(TypeError):
        catalog.scales["new"] = catalog.scales["ypn"]
    with pytest.raises(AttributeError):
        catalog.dimensions.append(catalog.dimensions[0])
    with pytest.raises(TypeError):
        catalog.dimensions[0].standards[0].practices[0].indicators[0] = indicator
    assert catalog.text("1A") == "The provider has a strategy"


def test_indicators_by_profile_and_module(mini: Path) -> None:
    catalog = load_catalog(mini)

    def codes(**kw) -> list[str]:
        return [i.code for i in catalog.indicators(**kw)]

    assert codes() == ["1A.1.1", "1A.1.2", "1A.2.1", "2A.1.1"]
    assert codes(profile="alinus") == ["1A.1.1", "2A.1.1"]
    assert codes(profile="cp") == ["1A.1.1", "1A.2.1"]
    assert codes(modules=[]) == ["1A.1.1", "1A.1.2", "2A.1.1"]
    assert codes(modules=["gender"]) == ["1A.1.1", "1A.1.2", "1A.2.1", "2A.1.1"]
    assert codes(profile="cp", modules=[]) == ["1A.1.1"]
    assert all(isinstance(i, Indicator) for i in catalog.indicators())
    with pytest.raises(Spi4xlError, match="unknown profile 'short'"):
        catalog.indicators(profile="short")
    with pytest.raises(Spi4xlError, match="unknown module.*youth"):
        catalog.indicators(modules=["youth"])


def test_node_and_indicator_lookup(mini: Path) -> None:
    catalog = load_catalog(mini)
    assert catalog.node("1A").code == "1A"
    assert catalog.node("1A.1.2.2").indicator == "1A.1.2"
    assert catalog.node("9Z") is None
    with pytest.raises(KeyError, match="no indicator '1A.1'"):
        catalog.indicator("1A.1")  # a practice, not an indicator
    assert catalog.scale_of(catalog.indicator("1A.1.1")).id == "yn"
    assert catalog.module_codes == ("core", "gender")


def test_text_in_each_language(mini: Path) -> None:
    catalog = load_catalog(mini)
    assert catalog.text("1A", "name", "en") == "The provider has a strategy"
    assert catalog.text("1A", "name", "fr") == "Le prestataire a une stratégie"
    assert catalog.text("1A", "name", "es") == "El proveedor tiene una estrategia"
    assert catalog.text("1A.1.1", "guidance", "fr") == "Demander le plan stratégique."
    assert catalog.text("org.legal_form.ngo", "label", "es") == "ONG"
    assert catalog.answer_label("ypn", "partially", "fr") == "Partiellement"
    assert catalog.text("catalog", "title") == "Mini audit"


def test_text_falls_back_to_english(mini: Path) -> None:
    edit(mini, "locale/fr.po", 'msgstr "Le prestataire a une stratégie"', 'msgstr ""')
    catalog = load_catalog(mini)
    assert catalog.text("1A", "name", "fr") == "The provider has a strategy"
    assert catalog.text("1A", "name", "es") == "El proveedor tiene una estrategia"
    assert catalog.text("1A", "name", "de") == "The provider has a strategy"
    assert ("1A", "name") not in catalog.texts["fr"]
    assert catalog.text("no.such.key", "name", "fr") == ""


def test_content_hash_is_stable_and_tracks_texts(mini: Path) -> None:
    first = load_catalog(mini).content_hash
    assert load_catalog(mini).content_hash == first
    edit(mini, A, "name: The provider has a strategy", "name: The provider has a written strategy")
    assert load_catalog(mini).content_hash != first


def test_catalog_remembers_its_folder(mini: Path) -> None:
    assert load_catalog(mini).root == mini
    reports = translation_reports(load_catalog(mini))
    assert reports[("catalog", "fr")].path == mini / "locale" / "fr.po"


# --- the real catalog: the "done when" ----------------------------------------------------
@pytest.fixture(scope="module")
def real() -> Catalog:
    return load_catalog("usspm-2016")


def test_real_catalog_structure(real: Catalog) -> None:
    assert real.id == real.edition == "usspm-2016"
    assert real.languages == ("en", "fr", "es")
    assert [d.code for d in real.dimensions] == ["1", "2", "3", "4", "5", "6"]
    assert len(real.standards) == 19
    assert len(real.all_indicators()) >= 150
    thin = [s.code for s in real.standards if len(s.practices) < 2]
    assert not thin, f"standards with fewer than 2 essential practices: {thin}"


def test_real_catalog_principles(real: Catalog) -> None:
    assert [p.code for p in real.principles] == [f"CP{n}" for n in range(1, 8)]
    for principle in real.principles:
        assert any(principle.code in i.principles for i in real.all_indicators()), principle.code


def test_real_catalog_alinus_and_modules(real: Catalog) -> None:
    assert 60 <= len(real.indicators(profile="alinus")) <= 100
    assert real.module_codes[0] == "core"
    optional = real.module_codes[1:]
    assert len(optional) >= 1
    for module in optional:
        count = sum(i.module == module for i in real.all_indicators())
        assert count >= 5, f"module {module} has {count} indicators"
    assert len(real.indicators(modules=[])) == sum(i.module == "core" for i in real.all_indicators())


def test_real_catalog_organization(real: Catalog) -> None:
    assert len(real.org_fields) >= 30
    ids = {f.id for f in real.org_fields}
    for rule in real.org_rules:
        assert {rule.left, rule.right} <= ids


def test_real_catalog_translations_complete(real: Catalog) -> None:
    reports = translation_reports(real)
    for lang in ("fr", "es"):
        report = reports[("catalog", lang)]
        assert len(report.entries) == len(real.texts["en"])
        assert report.completeness == 1.0, [e.key for e in report.entries if e.status != "done"][:5]
        assert len(real.texts[lang]) == len(real.texts["en"])
    assert catalog_problems(real) == []


def test_real_interface_strings_complete(real: Catalog) -> None:
    """`spi4xl catalog check` also fails on untranslated interface strings (spi4xl/ui/*.po)."""
    problems = [str(p) for p in check_catalog(real)]
    assert problems == [], f"{len(problems)} problem(s), first: {problems[:3]}"
