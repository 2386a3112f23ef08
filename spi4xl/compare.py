"""Where one audit stands among peers: percentile rank per overall score, dimension and principle."""

from __future__ import annotations

import statistics
from pathlib import Path

from spi4xl.errors import Spi4xlError
from spi4xl.records import Record, record
from spi4xl.scoring import Scores


@record
class Standing(Record):
    column: str  # results column: overall, dim_1, cp_CP2, ...
    kind: str  # overall, dimension, principle
    code: str
    score: float | None
    peer_median: float | None
    peers: int
    percentile: float | None  # share of peers below, ties counted half, in [0, 1]


def load_peers(path: Path):
    import pandas as pd

    if not path.is_file():
        raise Spi4xlError("compare.no_peers", path=path, name=path.name)
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except (ValueError, OSError, ImportError) as exc:
        raise Spi4xlError("compare.not_results", path=path, detail=str(exc)) from None
    if "overall" not in frame.columns:
        raise Spi4xlError("compare.no_overall", path=path)
    if "file" in frame.columns:  # names batch protected against formula injection, as they were
        from spi4xl.batch import restore

        frame["file"] = frame["file"].map(restore)
    return frame


def percentile_rank(value: float, peers: list[float]) -> float:
    below = sum(p < value for p in peers)
    ties = sum(p == value for p in peers)
    return (below + ties / 2) / len(peers)


def _without(peers, exclude_file: str | None):
    """The peers less the audit itself, however its path is written."""
    if exclude_file is not None and "file" in peers.columns:
        target = Path(exclude_file).resolve()
        peers = peers[peers["file"].map(lambda f: Path(str(f)).resolve() != target).astype(bool)]
    return peers


def compare(scores: Scores, peers, exclude_file: str | None = None) -> list[Standing]:
    peers = _without(peers, exclude_file)
    units = [("overall", "overall", "", scores.overall.score)]
    units += [(f"dim_{c}", "dimension", c, u.score) for c, u in scores.dimensions.items()]
    units += [(f"cp_{c}", "principle", c, u.score) for c, u in scores.client_protection.items()]
    out = []
    for column, kind, code, value in units:
        values = [float(v) for v in peers[column].dropna()] if column in peers.columns else []
        median = statistics.median(values) if values else None
        rank = percentile_rank(value, values) if values and value is not None else None
        out.append(Standing(column, kind, code, value, median, len(values), rank))
    return out


def peer_bands(scores: Scores, peers, exclude_file: str | None = None) -> dict:
    """Per batch column (overall, dim_<code>, std_<code>, cp_<code>): the peers' quartiles and this audit's
    percentile rank, for the report's bands (spi4xl.report.model.PeerBand); units no peer scored are left out."""
    from spi4xl.report.model import PeerBand

    peers, out = _without(peers, exclude_file), {}
    units = {"overall": scores.overall, **{f"dim_{c}": u for c, u in scores.dimensions.items()},
             **{f"std_{c}": u for c, u in scores.standards.items()},
             **{f"cp_{c}": u for c, u in scores.client_protection.items()}}
    for column, unit in units.items():
        values = sorted(float(v) for v in peers[column].dropna()) if column in peers.columns else []
        if not values:
            continue
        low, median, high = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
        rank = percentile_rank(unit.score, values) if unit.score is not None else None
        out[column] = PeerBand(low, median, high, rank, len(values))
    return out
