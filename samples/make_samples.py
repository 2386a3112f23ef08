"""Write the bundled sample audits: clearly synthetic, seeded, so the README's commands score something real.

    python samples/make_samples.py
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.plan import plan_rows
from spi4xl.scoring import score
from spi4xl.workbook.render import render

HERE = Path(__file__).resolve().parent
COMMENTS = {
    "en": ["Credit policy manual v3, section 4", "Interview with the operations manager", "Observed at two branches",
           "Board minutes, March 2026", "MIS report on client retention"],
    "fr": ["Manuel de politique de crédit v3, section 4", "Entretien avec le directeur des opérations",
           "Observé dans deux agences", "PV du conseil d'administration, mars 2026", "Rapport SIG sur la rétention"],
}

# The first gaps of standards 4A, 4B and 4E in the action plan, with what an auditor types beside them.
PLAN = {
    "en": [("Write over-indebtedness limits into the credit policy", "Head of credit", "in_progress"),
           ("Train loan officers on disclosing the full price", "HR manager", "planned"),
           ("Post the complaints line in every branch", "Operations manager", "done")],
    "fr": [("Inscrire des limites de surendettement dans la politique de crédit", "Responsable du crédit", "in_progress"),
           ("Former les agents de crédit à l'annonce du coût total", "Responsable RH", "planned"),
           ("Afficher la ligne de réclamations dans chaque agence", "Directeur des opérations", "done")],
}


def sample_audit(lang: str, seed: int = 2016) -> Audit:
    """A mid-performing provider: most indicators answered, evidence for most answers, a few gaps left."""
    catalog = load_catalog("usspm-2016")
    rng = random.Random(seed)
    audit = Audit(edition=catalog.edition, catalog_version=catalog.version, language=lang, modules=("gender",))
    weights = {"yes": 5, "partially": 3, "no": 2, "na": 0.3}
    for ind in catalog.indicators("full", ("gender",)):
        items = list(ind.details) if ind.is_checklist else [ind]
        for item in items:
            if rng.random() < 0.93:
                codes = catalog.scales[item.scale].codes
                audit.answers[item.code] = rng.choices(codes, [weights[c] for c in codes])[0]
                if rng.random() < 0.7:
                    audit.comments[item.code] = rng.choice(COMMENTS[lang])
        if rng.random() < 0.5:
            audit.evidence[ind.code] = rng.choice([e.code for e in catalog.evidence_types])
    audit.flags[catalog.indicators()[3].code] = "Ask for the 2025 board minutes" if lang == "en" else "Demander les PV 2025"
    audit.metadata = {"organization": "Synthetic Microfinance Example (not a real provider)", "country": "Peru",
                      "auditor": "spi4xl sample", "assessment_type": "accompanied",
                      "start_date": dt.date(2026, 9, 1), "end_date": dt.date(2026, 9, 12)}
    audit.org = {"legal_form": "nbfi", "reporting_date": dt.date(2025, 12, 31), "currency": "PEN",
                 "exchange_rate_usd": 3.75, "branches": 24, "staff_total": 410, "staff_women": 230,
                 "loan_officers": 190, "active_clients": 52000, "women_clients": 34500, "rural_clients": 21000,
                 "active_borrowers": 48000, "women_borrowers": 31800, "gross_loan_portfolio": 98_500_000,
                 "average_loan": 2052, "par30": 0.048, "client_retention": 0.78, "staff_turnover": 0.21,
                 "complaints_received": 310, "complaints_resolved": 296, "lending_methodology": "individual",
                 "gni_per_capita": 6740.0, "loan_officers_women": 85, "board_members": 7, "board_women": 3,
                 "active_loans": 49500, "average_apr": 0.38, "roa": 0.021, "poverty_line": "national",
                 "loans_agriculture": 0.22, "loans_trade": 0.41, "loans_services": 0.17}
    gaps = [row for row in plan_rows(catalog, audit, score(audit, catalog)) if row.is_gap]
    first = [next(r for r in gaps if catalog.indicator(r.code).standard == std) for std in ("4A", "4B", "4E")]
    for row, (action, owner, status) in zip(first, PLAN[lang]):
        audit.plan[row.code] = {"action": action, "owner": owner, "due": dt.date(2027, 3, 31), "status": status}
    return audit


if __name__ == "__main__":
    catalog = load_catalog("usspm-2016")
    for lang in ("en", "fr"):
        path = render(catalog, lang, sample_audit(lang), HERE / f"sample-audit-{lang}.xlsx")
        print(f"wrote {path}")
