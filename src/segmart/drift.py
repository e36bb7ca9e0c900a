"""Population Stability Index between a reference and a current distribution.

    PSI = sum over bins of (actual_share - expected_share) * ln(actual_share / expected_share)

Bins are the reference's quantile bins. A bin with no observations on one side would make
the logarithm infinite, so shares are floored at ``epsilon`` (the usual small-count guard)
before the sum. Rules of thumb: below 0.1 stable, 0.1 to 0.25 watch, 0.25 and above act.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WATCH = 0.10
ACT = 0.25
EPSILON = 1e-4


def quantile_edges(reference: np.ndarray, bins: int = 10) -> np.ndarray:
    """Inner bin edges from the reference's quantiles (duplicates dropped, so a feature with
    many ties gets fewer bins). Bin i holds values in (edges[i-1], edges[i]]."""
    reference = np.asarray(reference, dtype="float64")
    reference = reference[~np.isnan(reference)]
    if reference.size == 0:
        return np.array([])
    qs = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(qs)


def bin_shares(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Share of values in each bin defined by the inner edges (len(edges) + 1 bins)."""
    values = np.asarray(values, dtype="float64")
    values = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(np.asarray(edges), values, side="left"),
                         minlength=len(edges) + 1)
    total = counts.sum()
    return counts / total if total else counts.astype("float64")


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """PSI of two share vectors over the same bins (each summing to 1)."""
    e = np.maximum(np.asarray(expected, dtype="float64"), epsilon)
    a = np.maximum(np.asarray(actual, dtype="float64"), epsilon)
    if e.shape != a.shape:
        raise ValueError(f"expected and actual have {e.size} and {a.size} bins")
    return float(np.sum((a - e) * np.log(a / e)))


def flag(value: float | None) -> str:
    """'stable', 'watch' (>= 0.1) or 'act' (>= 0.25); 'no_reference' without a value."""
    if value is None or np.isnan(value):
        return "no_reference"
    if value >= ACT:
        return "act"
    if value >= WATCH:
        return "watch"
    return "stable"


def drift_table(current, history, features: Sequence[str], reference_days: int = 0,
                clustering_features: Sequence[str] = ()):
    """PSI per feature between the current values and a reference build's bins.

    ``current`` has an as_of column and the feature columns; ``history`` has as_of, feature,
    bin_number, upper_edge and share for every build. The reference is the latest build
    before this as_of (``reference_days`` 0) or the latest at least that many days before.
    Without one, psi is null and the flag is 'no_reference'.
    """
    import pandas as pd

    as_of = pd.Timestamp(current["as_of"].max())
    limit = as_of - pd.Timedelta(days=reference_days) if reference_days else as_of
    earlier = history[(history["as_of"] < as_of) & (history["as_of"] <= limit)]
    reference_as_of = earlier["as_of"].max() if len(earlier) else None
    rows = []
    for feature in features:
        value = None
        reference = earlier[(earlier["as_of"] == reference_as_of)
                            & (earlier["feature"] == feature)].sort_values("bin_number")
        if len(reference):
            edges = reference["upper_edge"].dropna().to_numpy()
            actual = bin_shares(current[feature].astype("float64").fillna(0).to_numpy(), edges)
            value = psi(reference["share"].to_numpy(), actual)
        verdict = flag(value)
        rows.append({
            "feature": feature,
            "as_of": as_of,
            "reference_as_of": reference_as_of,
            "psi": value,
            "drift_flag": verdict,
            "is_clustering_feature": feature in clustering_features,
            "suggests_clustering_refit": verdict == "act" and feature in clustering_features,
        })
    return pd.DataFrame(rows)


#: propensity_scores targets watched beside the features, as the columns they become here.
SCORE_COLUMNS = {"purchase": "p_purchase", "churn": "p_churn"}


def with_scores(current, scores):
    """user_features' columns plus one p_<target> column per scored target (null where the
    person is not scored): the score distributions drift like any feature. Returns the frame
    and the added column names; a skipped target adds none."""
    frame = current
    added = []
    for target, column in SCORE_COLUMNS.items():
        rows = scores[scores["target"] == target]
        if rows.empty:
            continue
        frame = frame.merge(rows[["user_id", "p"]].rename(columns={"p": column}),
                            on="user_id", how="left")
        added.append(column)
    return frame, added
