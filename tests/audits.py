"""Audits made up for tests: a hypothesis strategy and a seeded generator, both over the real catalog."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import strategies as st

from spi4xl.audit import ASSESSMENT_TYPES, Audit
from spi4xl.catalog import load_catalog
from spi4xl.catalog.model import Catalog

CATALOG = load_catalog("usspm-2016")
LANGS = tuple(CATALOG.languages)

# What auditors type: accents, line breaks, text that looks like a formula; no carriage returns
# (the xlsx format stores line breaks as \n).
TEXT = st.one_of(
    st.text(st.characters(categories=("L", "N", "P", "Zs", "S"), exclude_characters="\r"), min_size=1, max_size=40),
    st.sampled_from(["=SUM(A1:A3)", "=1+1", "Politique validée\npar le CA (p. 4)", "¿Sí? 100 %", "  espaces  ", "+33 1 23"]),
)


def answerable(catalog: Catalog) -> list[tuple[str, str]]:
    """(code, scale) of every item an auditor answers: answer indicators and every detail item."""
    out = []
    for ind in catalog.all_indicators():
        if not ind.is_checklist:
            out.append((ind.code, ind.scale))
        out += [(d.code, d.scale) for d in ind.details]
    return out


# Organization Information that satisfies every type, bound and cross-field rule.
CLEAN_ORG = {
    "legal_form": "nbfi", "regulated": "yes", "reporting_date": dt.date(2016, 12, 31), "currency": "XOF",
    "exchange_rate_usd": 590.5, "year_founded": 1998, "branches": 24, "staff_total": 310, "staff_women": 140,
    "loan_officers": 150, "senior_managers": 8, "senior_managers_women": 3, "board_members": 7, "board_women": 2,
    "staff_turnover": 0.12, "ceo_pay_ratio": 14.5, "active_clients": 52000, "women_clients": 31000,
    "rural_clients": 20000, "active_borrowers": 40000, "women_borrowers": 25000, "active_loans": 41500,
    "new_clients": 9000, "voluntary_savers": 18000, "clients_below_poverty_line": 15000, "client_retention": 0.8,
    "gross_loan_portfolio": 12_000_000_000, "average_loan": 300_000, "deposits": 2_500_000_000,
    "total_assets": 15_000_000_000, "equity": 3_000_000_000, "personnel_expense": 1_200_000_000, "par30": 0.04,
    "write_off_ratio": 0.01, "operating_expense_ratio": 0.18, "portfolio_yield": 0.35, "average_apr": 0.42,
    "roa": 0.03, "roe": 0.12, "operational_self_sufficiency": 1.1, "complaints_received": 120,
    "complaints_resolved": 115, "clients_trained_financial_education": 5000,
    "lending_methodology": "group", "gni_per_capita": 1040.0, "loan_officers_women": 60, "depositors": 26000,
    "poverty_line": "international_extreme", "loans_agriculture": 0.3, "loans_trade": 0.4, "loans_production": 0.1,
    "loans_services": 0.1, "loans_housing": 0.05, "loans_consumption": 0.05,
}

ITEMS = answerable(CATALOG)
INDICATORS = [i.code for i in CATALOG.all_indicators()]


def _org_value(draw, f):
    if f.type == "choice":
        return draw(st.sampled_from(f.choices))
    if f.type == "date":
        return draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))
    if f.type == "text":
        return draw(TEXT)
    lo = f.min if f.min is not None else 0
    hi = f.max if f.max is not None else 1e9
    if f.type == "integer":
        return draw(st.integers(int(lo), int(min(hi, 10**9))))
    cents = draw(st.integers(int(lo * 10_000), int(min(hi, 1e9) * 10_000)))
    return cents / 10_000


@st.composite
def audits(draw, lang: str | None = None) -> Audit:
    catalog = CATALOG
    audit = Audit(edition=catalog.edition, catalog_version=catalog.version, language=lang or draw(st.sampled_from(LANGS)))
    for code, scale in draw(st.lists(st.sampled_from(ITEMS), max_size=60, unique=True)):
        audit.answers[code] = draw(st.sampled_from(catalog.scales[scale].codes))
    for code in draw(st.lists(st.sampled_from([c for c, _ in ITEMS] + INDICATORS), max_size=15, unique=True)):
        audit.comments[code] = draw(TEXT)
    for code in draw(st.lists(st.sampled_from(INDICATORS), max_size=5, unique=True)):
        audit.flags[code] = draw(TEXT)
    for code in draw(st.lists(st.sampled_from(INDICATORS), max_size=8, unique=True)):
        audit.evidence[code] = draw(st.sampled_from([e.code for e in catalog.evidence_types]))
    for f in draw(st.lists(st.sampled_from(catalog.org_fields), max_size=12, unique=True)):
        audit.org[f.id] = _org_value(draw, f)
    if draw(st.booleans()):
        audit.metadata.update(organization=draw(TEXT), country=draw(TEXT),
                              assessment_type=draw(st.sampled_from(ASSESSMENT_TYPES)),
                              start_date=draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 1, 1))))
    return audit


def random_audit(seed: int, lang: str = "en", fill: float = 0.8) -> Audit:
    """A seeded audit for benchmarks and engine comparisons: most items answered, some commented."""
    rng = random.Random(seed)
    audit = Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language=lang)
    for code, scale in ITEMS:
        if rng.random() < fill:
            audit.answers[code] = rng.choice(CATALOG.scales[scale].codes)
        if rng.random() < 0.3:
            audit.comments[code] = rng.choice(["Policy p. 4", "Entretien DG", "=SUM(A1)", "Voir\nrapport"])
    audit.org = {"active_clients": rng.randint(1000, 90000), "par30": round(rng.random() * 0.2, 4)}
    audit.org["women_clients"] = rng.randint(0, audit.org["active_clients"])
    return audit
