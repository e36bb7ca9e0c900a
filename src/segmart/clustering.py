"""Behavioural clustering of persons: preparation, model selection, fitting, profiles, labels.

Pure functions over pandas/numpy; no dbt imports. The dbt Python models in
``models/marts/ml/`` read their config and ``user_features`` and call :func:`select_model`,
:func:`assign_clusters` and :func:`profile_clusters`.

Everything random is seeded by ``ClusteringConfig.seed``: the same data and config give the
same clusters, the same labels and the same coordinates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from sklearn.cluster import (
    DBSCAN,
    HDBSCAN,
    AgglomerativeClustering,
    KMeans,
    MiniBatchKMeans,
)
from sklearn.decomposition import PCA
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

ALGORITHMS = ("kmeans", "gmm", "hdbscan", "dbscan", "agglomerative")
#: Algorithms that take a number of clusters (and so a k range to select from).
K_ALGORITHMS = ("kmeans", "gmm", "agglomerative")

DEFAULT_FEATURES = (
    "recency_days",
    "count_sessions_30d",
    "count_events_30d",
    "count_product_views_30d",
    "count_add_to_carts_30d",
    "count_orders_90d",
    "total_revenue_90d",
    "avg_order_value",
    "share_orders_morning_90d",
    "share_sessions_evening_30d",
)
#: Heavy-tailed counts and money: log1p before standardising.
DEFAULT_LOG_FEATURES = (
    "count_sessions_30d",
    "count_events_30d",
    "count_product_views_30d",
    "count_add_to_carts_30d",
    "count_orders_90d",
    "total_revenue_90d",
    "avg_order_value",
)

#: Words for a cluster whose mean z-score on a feature is strongly positive / negative.
TRAIT_WORDS: dict[str, tuple[str, str]] = {
    "recency_days": ("Dormant", "Recently active"),
    "count_sessions_30d": ("Frequent browsers", "Rare visitors"),
    "count_events_30d": ("Heavy users", "Light users"),
    "count_product_views_30d": ("Product researchers", "Few product views"),
    "count_add_to_carts_30d": ("Cart fillers", "No carts"),
    "count_orders_90d": ("Frequent buyers", "Occasional buyers"),
    "count_orders_lifetime": ("Long-time repeat buyers", "Few past orders"),
    "total_revenue_90d": ("High-value buyers", "Low spenders"),
    "avg_order_value": ("Big-basket buyers", "Small-basket buyers"),
    "share_orders_morning_90d": ("Morning buyers", "Buy later in the day"),
    "share_sessions_evening_30d": ("Evening browsers", "Daytime browsers"),
}


class ClusteringError(ValueError):
    """A configuration or data problem, with a message that says what to fix."""


@dataclass(frozen=True)
class ClusteringConfig:
    """How to cluster. Built from the dbt model config with :meth:`from_mapping`."""

    features: tuple[str, ...] = DEFAULT_FEATURES
    log_features: tuple[str, ...] = DEFAULT_LOG_FEATURES
    algorithm: str = "kmeans"
    k_min: int = 2
    k_max: int = 10
    silhouette_tolerance: float = 0.10
    silhouette_sample_size: int = 5_000
    selection_sample_size: int = 20_000
    selection_n_init: int = 1
    fit_sample_size: int = 50_000
    minibatch_threshold: int = 200_000
    min_cluster_size: int = 50
    dbscan_eps: float = 0.5
    seed: int = 7
    extra: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object] | None) -> ClusteringConfig:
        """Build from a plain dict (dbt config), checking names and types."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)} - {"extra"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ClusteringError(
                f"unknown clustering setting(s) {unknown}; known: {sorted(known)}")
        kwargs: dict[str, object] = {}
        for name, value in values.items():
            if name in ("features", "log_features"):
                if isinstance(value, str):
                    value = [v.strip() for v in value.split(",") if v.strip()]
                kwargs[name] = tuple(value)  # type: ignore[arg-type]
            elif name in ("algorithm",):
                kwargs[name] = str(value).lower()
            elif name in ("silhouette_tolerance", "dbscan_eps"):
                kwargs[name] = float(value)  # type: ignore[arg-type]
            else:
                kwargs[name] = int(value)  # type: ignore[call-overload]
        config = cls(**kwargs)  # type: ignore[arg-type]
        config.validate()
        return config

    def validate(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ClusteringError(
                f"clustering algorithm must be one of {list(ALGORITHMS)}, got {self.algorithm!r}")
        if self.k_min < 2:
            raise ClusteringError(f"k_min must be at least 2, got {self.k_min}")
        if self.k_min > self.k_max:
            raise ClusteringError(f"k_min ({self.k_min}) is greater than k_max ({self.k_max})")
        if not 0 <= self.silhouette_tolerance < 1:
            raise ClusteringError(
                f"silhouette_tolerance must be in [0, 1), got {self.silhouette_tolerance}")
        if not self.features:
            raise ClusteringError("no clustering features configured")
        stray = sorted(set(self.log_features) - set(self.features))
        if stray:
            raise ClusteringError(f"log_features {stray} are not among the features")
        for name in ("silhouette_sample_size", "selection_sample_size"):
            if getattr(self, name) < 100:
                raise ClusteringError(f"{name} must be at least 100, got {getattr(self, name)}")
        if self.selection_n_init < 1:
            raise ClusteringError(
                f"selection_n_init must be at least 1, got {self.selection_n_init}")


def to_pandas(relation) -> pd.DataFrame:
    """A DuckDB relation to pandas through Arrow (DuckDB 1.x and 2.x spell it differently)."""
    to_arrow = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return to_arrow().to_pandas()


def eligible_frame(features_relation, eligibility: str, config: ClusteringConfig
                   ) -> pd.DataFrame:
    """The eligible rows of user_features (a DuckDB relation), only the needed columns."""
    eligible = features_relation.filter(eligibility)
    return to_pandas(eligible.project(", ".join(required_columns(eligible.columns, config))))


def required_columns(available: Sequence[str], config: ClusteringConfig) -> list[str]:
    """The columns to read from user_features (user_id, as_of and the features), checked
    against what it has, so a misspelt feature is named before any data is read."""
    missing = [f for f in ("user_id", *config.features) if f not in available]
    if missing:
        raise ClusteringError(
            f"feature(s) {missing} are not columns of user_features; available: "
            f"{sorted(c for c in available if c != 'user_id')}")
    extra = ["as_of"] if "as_of" in available else []
    return ["user_id", *extra, *config.features]


@dataclass(frozen=True)
class Prepared:
    """Standardised feature matrix and what it takes to go back to original units."""

    user_ids: np.ndarray
    matrix: np.ndarray  # float64, standardised
    original: pd.DataFrame  # the features in original units (nulls as 0)
    mean: np.ndarray
    scale: np.ndarray
    features: tuple[str, ...]


def prepare(frame: pd.DataFrame, config: ClusteringConfig) -> Prepared:
    """Check the features, log-transform the heavy-tailed ones, standardise.

    Nulls (a share without orders, a recency without activity) become 0 before scaling.
    """
    missing = [f for f in config.features if f not in frame.columns]
    if missing:
        raise ClusteringError(
            f"feature(s) {missing} are not columns of user_features; available: "
            f"{sorted(c for c in frame.columns if c != 'user_id')}")
    if "user_id" not in frame.columns:
        raise ClusteringError("the input needs a user_id column")
    # a database returns rows in any order; samples and fits must not depend on it
    frame = frame.sort_values("user_id", kind="stable").reset_index(drop=True)
    original = frame[list(config.features)].astype("float64").fillna(0.0)
    values = original.to_numpy(copy=True)
    for i, name in enumerate(config.features):
        if name in config.log_features:
            if (values[:, i] < 0).any():
                raise ClusteringError(f"log feature {name!r} has negative values")
            values[:, i] = np.log1p(values[:, i])
    mean = values.mean(axis=0) if len(values) else np.zeros(len(config.features))
    scale = values.std(axis=0) if len(values) else np.ones(len(config.features))
    constant = [name for name, s in zip(config.features, scale, strict=True) if s == 0]
    if constant and len(values):
        raise ClusteringError(
            f"feature(s) {constant} are constant over the eligible persons; drop them from "
            "the clustering features or widen the eligibility")
    matrix = (values - mean) / scale
    return Prepared(frame["user_id"].to_numpy(), matrix, original, mean, scale,
                    tuple(config.features))


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def _fit_predict(matrix: np.ndarray, algorithm: str, k: int | None,
                 config: ClusteringConfig, n_init: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, object]:
    """Fit on (a sample of) matrix; return labels for all rows, centroids and the model.

    n_init: starts of k-means and GMM (None: 4 for KMeans, 3 for MiniBatchKMeans, 2 for GMM,
    the final fit's; model selection passes ``selection_n_init``).

    Fits run on one OpenMP thread: scikit-learn's k-means adds up its threads' partial sums
    in whichever order they finish, so on several cores two fits of the same data can drift
    apart in the last bits and settle in different optima. One thread is also no slower on
    these sizes (fits of 20,000 persons; MiniBatchKMeans on everyone)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return _fit_predict_one_thread(matrix, algorithm, k, config, n_init)


def _fit_predict_one_thread(matrix: np.ndarray, algorithm: str, k: int | None,
                            config: ClusteringConfig, n_init: int | None
                            ) -> tuple[np.ndarray, np.ndarray, object]:
    n = len(matrix)
    if algorithm == "kmeans":
        if n > config.minibatch_threshold:
            model = MiniBatchKMeans(n_clusters=k, random_state=config.seed, n_init=n_init or 3,
                                    batch_size=4096)
        else:
            model = KMeans(n_clusters=k, random_state=config.seed, n_init=n_init or 4)
        labels = model.fit_predict(matrix)
        return labels, model.cluster_centers_, model
    if algorithm == "gmm":
        fit_rows = _sample(n, config.fit_sample_size, config.seed)
        model = GaussianMixture(n_components=k, random_state=config.seed, n_init=n_init or 2,
                                covariance_type="full")
        model.fit(matrix[fit_rows])
        labels = model.predict(matrix)
        return labels, model.means_, model
    fit_rows = _sample(n, config.fit_sample_size, config.seed)
    sample = matrix[fit_rows]
    if algorithm == "agglomerative":
        sample_labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(sample)
    elif algorithm == "hdbscan":
        sample_labels = HDBSCAN(min_cluster_size=config.min_cluster_size,
                                copy=True).fit_predict(sample)
    else:
        sample_labels = DBSCAN(eps=config.dbscan_eps,
                               min_samples=max(5, config.min_cluster_size // 10)
                               ).fit_predict(sample)
    ids = np.array(sorted(set(sample_labels) - {-1}))
    if len(ids) < 2:
        raise ClusteringError(
            f"{algorithm} found {len(ids)} cluster(s) on the sample; loosen its settings "
            "(min_cluster_size, dbscan_eps) or use kmeans")
    centroids = np.vstack([sample[sample_labels == c].mean(axis=0) for c in ids])
    # every person (the sample included) goes to the nearest cluster centroid of the sample
    labels = _nearest(matrix, centroids)
    return labels, centroids, None


def _nearest(matrix: np.ndarray, centroids: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    out = np.empty(len(matrix), dtype=np.int64)
    for start in range(0, len(matrix), chunk):
        block = matrix[start:start + chunk]
        d = ((block[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        out[start:start + chunk] = d.argmin(axis=1)
    return out


def choose_k(candidates: pd.DataFrame, tolerance: float) -> tuple[int, str, list[str]]:
    """The selection rule: the fewest clusters whose silhouette is within ``tolerance``
    (relative) of the best. Returns the chosen k, why, and a verdict per candidate row."""
    scored = candidates.dropna(subset=["silhouette"])
    if scored.empty:
        raise ClusteringError("no candidate produced two or more clusters on the sample")
    best = float(scored["silhouette"].max())
    floor = best - tolerance * abs(best)
    chosen = int(scored.loc[scored["silhouette"] >= floor, "k"].min())
    best_k = int(scored.loc[scored["silhouette"].idxmax(), "k"])
    reason = (f"fewest clusters with silhouette within {tolerance:.0%} of the best "
              f"({best:.3f} at k={best_k})")
    verdicts = []
    for k, silhouette in zip(candidates["k"], candidates["silhouette"], strict=True):
        if k == chosen:
            verdicts.append(reason)
        elif pd.isna(silhouette):
            verdicts.append("fewer than two clusters on the sample")
        elif silhouette >= floor:
            verdicts.append("within tolerance, but more clusters")
        else:
            verdicts.append("silhouette below the tolerance")
    return chosen, reason, verdicts


def silhouettes(x: np.ndarray, label_sets: Sequence[np.ndarray],
                chunk: int = 1024) -> list[float]:
    """The mean silhouette (Euclidean) of each labelling of the same rows ``x``.

    Equal to ``sklearn.metrics.silhouette_score`` for each labelling (a point alone in its
    cluster scores 0), but the pairwise distances, which dominate the cost, are computed once
    for all labellings instead of once per candidate: choosing k among nine candidates on a
    10,000-row sample takes about 3 s instead of 20. Rows are processed in chunks, so memory
    stays at ``chunk`` x n distances.
    """
    n = len(x)
    if not label_sets:
        return []
    squared = np.einsum("ij,ij->i", x, x)
    encoded = []
    for labels in label_sets:
        values, codes = np.unique(np.asarray(labels), return_inverse=True)
        onehot = np.zeros((n, len(values)))
        onehot[np.arange(n), codes] = 1.0
        encoded.append((codes, onehot, onehot.sum(axis=0)))
    totals = [0.0] * len(label_sets)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        distances = squared[start:stop, None] + squared[None, :] - 2.0 * (x[start:stop] @ x.T)
        np.maximum(distances, 0.0, out=distances)
        # a point's distance to itself is exactly 0, as in sklearn
        distances[np.arange(stop - start), np.arange(start, stop)] = 0.0
        np.sqrt(distances, out=distances)
        for position, (codes, onehot, sizes) in enumerate(encoded):
            sums = distances @ onehot
            own = codes[start:stop]
            rows = np.arange(stop - start)
            own_size = sizes[own]
            within = np.divide(sums[rows, own], own_size - 1,
                               out=np.zeros(stop - start), where=own_size > 1)
            means = sums / sizes
            means[rows, own] = np.inf
            nearest = means.min(axis=1)
            denominator = np.maximum(within, nearest)
            score = np.divide(nearest - within, denominator,
                              out=np.zeros(stop - start), where=denominator > 0)
            score[own_size <= 1] = 0.0
            totals[position] += float(score.sum())
    return [total / n for total in totals]


@dataclass(frozen=True)
class Selection:
    """Every candidate's quality, and the chosen one."""

    candidates: pd.DataFrame
    chosen_k: int
    reason: str


def select_model(prepared: Prepared, config: ClusteringConfig) -> Selection:
    """Fit each candidate k, score it, and choose.

    Candidates are fitted on a seeded sample of at most ``selection_sample_size`` persons
    (all of them when fewer; never more than ``fit_sample_size``, never fewer than the
    silhouette sample); silhouette, Davies-Bouldin and Calinski-Harabasz are computed on a
    seeded sub-sample of at most ``silhouette_sample_size`` rows; k-means and GMM candidates
    start ``selection_n_init`` times (scikit-learn's own default for k-means++ is once), the
    final fit of the chosen k more often. The chosen k is the fewest clusters whose
    silhouette is within ``silhouette_tolerance`` (relative) of the best.
    """
    n = len(prepared.matrix)
    k_values = (list(range(config.k_min, config.k_max + 1))
                if config.algorithm in K_ALGORITHMS else [None])
    needed = max(k for k in k_values) if k_values[0] is not None else 2
    if n < max(needed, 2) or n < 3:
        raise ClusteringError(
            f"only {n} eligible person(s) for up to {needed} clusters; lower k_max or widen "
            "the eligibility")
    # candidates are fitted on a seeded sample and scored on a sub-sample of it: choosing k
    # does not need every person, only the final fit (assign_clusters) does
    fit_rows = _sample(n, max(min(config.selection_sample_size, config.fit_sample_size),
                              config.silhouette_sample_size), config.seed + 3)
    matrix = prepared.matrix[fit_rows]
    rows = _sample(len(matrix), config.silhouette_sample_size, config.seed + 1)
    x = matrix[rows]
    records, scored = [], []
    for k in k_values:
        labels, _, _ = _fit_predict(matrix, config.algorithm, k, config,
                                    config.selection_n_init)
        sample_labels = labels[rows]
        found = len(set(labels))
        record = {"k": k or found, "clusters_found": found, "silhouette": np.nan,
                  "davies_bouldin": np.nan, "calinski_harabasz": np.nan}
        if len(set(sample_labels)) >= 2:
            record["davies_bouldin"] = float(davies_bouldin_score(x, sample_labels))
            record["calinski_harabasz"] = float(calinski_harabasz_score(x, sample_labels))
            scored.append((len(records), sample_labels))
        records.append(record)
    # every candidate's silhouette from one pass over the sample's pairwise distances
    for (index, _), value in zip(scored, silhouettes(x, [lab for _, lab in scored]),
                                 strict=True):
        records[index]["silhouette"] = value
    candidates = pd.DataFrame(records)
    chosen, reason, verdicts = choose_k(candidates, config.silhouette_tolerance)
    candidates["algorithm"] = config.algorithm
    candidates["sample_size"] = len(rows)
    candidates["is_chosen"] = candidates["k"] == chosen
    candidates["reason"] = verdicts
    return Selection(candidates, chosen, reason)


@dataclass(frozen=True)
class Assignment:
    """Per-person clusters and per-cluster centroids (standardised space)."""

    frame: pd.DataFrame  # user_id, cluster_index, distance_to_centroid, probability, pca_x, pca_y
    centroids: np.ndarray


def assign_clusters(prepared: Prepared, k: int, config: ClusteringConfig) -> Assignment:
    """Fit the chosen model on everyone eligible and place every person."""
    labels, centroids, model = _fit_predict(prepared.matrix, config.algorithm, k, config)
    # renumber clusters by size (largest first), so numbering does not depend on the solver
    sizes = np.bincount(labels, minlength=len(centroids))
    order = np.lexsort((np.arange(len(sizes)), -sizes))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    labels = rank[labels]
    centroids = centroids[order]
    distance = np.sqrt(((prepared.matrix - centroids[labels]) ** 2).sum(axis=1))
    if isinstance(model, GaussianMixture):
        probability = model.predict_proba(prepared.matrix).max(axis=1)
    else:
        probability = np.full(len(labels), np.nan)
    fit_rows = _sample(len(prepared.matrix), config.fit_sample_size, config.seed + 2)
    pca = PCA(n_components=2, random_state=config.seed).fit(prepared.matrix[fit_rows])
    coords = pca.transform(prepared.matrix)
    # fix PCA's sign so coordinates do not flip between runs on other samples
    signs = np.sign(pca.components_[np.arange(2), np.abs(pca.components_).argmax(axis=1)])
    coords = coords * signs
    frame = pd.DataFrame({
        "user_id": prepared.user_ids,
        "cluster_index": labels.astype(np.int64),
        "distance_to_centroid": distance,
        "membership_probability": probability,
        "pca_x": coords[:, 0],
        "pca_y": coords[:, 1],
    })
    return Assignment(frame, centroids)


def label_clusters(centroids: np.ndarray, features: Sequence[str],
                   threshold: float = 0.25) -> list[str]:
    """A readable, unique label per cluster from its dominant traits.

    Each cluster's traits are its features ranked by |mean z-score|; clusters take their
    strongest unused trait word, strongest first. A cluster with no trait above ``threshold``
    is "Average customers"; when a word is taken, the next trait is used, and as a last resort
    the second trait is appended.
    """
    candidates = []
    for c, center in enumerate(centroids):
        for f, z in zip(features, center, strict=True):
            words = TRAIT_WORDS.get(f, (f"High {f}", f"Low {f}"))
            candidates.append((abs(z), c, words[0] if z > 0 else words[1]))
    candidates.sort(key=lambda t: (-t[0], t[1], t[2]))
    labels: dict[int, str] = {}
    used: set[str] = set()
    for strength, c, word in candidates:
        if c in labels or word in used:
            continue
        if strength < threshold:
            word = "Average customers"
            if word in used:
                continue
        labels[c] = word
        used.add(word)
    for c in range(len(centroids)):
        if c not in labels:
            ranked = sorted(zip(features, centroids[c], strict=True), key=lambda t: -abs(t[1]))
            first, second = ranked[0], ranked[min(1, len(ranked) - 1)]
            base = TRAIT_WORDS.get(first[0], (f"High {first[0]}", f"Low {first[0]}"))
            extra = TRAIT_WORDS.get(second[0], (f"high {second[0]}", f"low {second[0]}"))
            word = (f"{base[0] if first[1] > 0 else base[1]}, "
                    f"{(extra[0] if second[1] > 0 else extra[1]).lower()}")
            suffix = 2
            candidate = word
            while candidate in used:
                candidate = f"{word} ({suffix})"
                suffix += 1
            labels[c] = candidate
            used.add(candidate)
    return [labels[c] for c in range(len(centroids))]


def match_previous(centroids: np.ndarray, previous: np.ndarray | None,
                   previous_labels: Sequence[str] | None,
                   max_distance: float = 1.0) -> list[str | None]:
    """For each new centroid, the label of the previous build's cluster it matches.

    Pairs are matched by minimum total distance (Hungarian); a pair further apart than
    ``max_distance`` (in z units) is no match. Unmatched clusters get None.
    """
    if previous is None or previous_labels is None or len(previous) == 0:
        return [None] * len(centroids)
    from scipy.optimize import linear_sum_assignment

    cost = np.sqrt(((centroids[:, None, :] - previous[None, :, :]) ** 2).sum(axis=2))
    rows, cols = linear_sum_assignment(cost)
    out: list[str | None] = [None] * len(centroids)
    for r, c in zip(rows, cols, strict=True):
        if cost[r, c] <= max_distance:
            out[r] = previous_labels[c]
    return out


def final_labels(centroids: np.ndarray, features: Sequence[str],
                 previous: np.ndarray | None = None,
                 previous_labels: Sequence[str] | None = None) -> list[str]:
    """Labels carried over from matched previous clusters, fresh unique ones elsewhere."""
    carried = match_previous(centroids, previous, previous_labels)
    fresh = label_clusters(centroids, features)
    used = {label for label in carried if label}
    out = []
    for carried_label, fresh_label in zip(carried, fresh, strict=True):
        if carried_label:
            out.append(carried_label)
            continue
        label, suffix = fresh_label, 2
        while label in used:
            label = f"{fresh_label} ({suffix})"
            suffix += 1
        used.add(label)
        out.append(label)
    return out


def profile_clusters(prepared: Prepared, clusters: pd.DataFrame) -> pd.DataFrame:
    """One row per (cluster, feature): size, share, mean and median in original units and
    as z-scores. ``clusters`` has user_id, cluster_id and cluster_label per person."""
    order = pd.Series(np.arange(len(prepared.user_ids)), index=prepared.user_ids)
    missing = set(clusters["user_id"]) - set(order.index)
    if missing:
        raise ClusteringError(
            f"{len(missing)} clustered person(s) are not eligible any more; rebuild "
            "user_clusters with the same config")
    positions = order.loc[clusters["user_id"]].to_numpy()
    matrix = prepared.matrix[positions]
    original = prepared.original.to_numpy()[positions]
    n = len(clusters)
    rows = []
    for (cluster_id, label), members in clusters.groupby(
            ["cluster_id", "cluster_label"], sort=True).indices.items():
        for i, feature in enumerate(prepared.features):
            rows.append({
                "cluster_id": int(cluster_id),
                "cluster_label": label,
                "count_members": len(members),
                "share_of_eligible": len(members) / n,
                "feature": feature,
                "mean_value": float(original[members, i].mean()),
                "median_value": float(np.median(original[members, i])),
                "mean_z": float(matrix[members, i].mean()),
                "median_z": float(np.median(matrix[members, i])),
            })
    return pd.DataFrame(rows)


def previous_centroids(connection, relation: str, features: Sequence[str]
                       ) -> tuple[np.ndarray | None, list[str] | None]:
    """Centroids (mean z per feature) and labels of the previous build's cluster_profiles,
    read through a DuckDB connection (see :func:`centroids_from_profiles`)."""
    try:
        frame = connection.execute(
            f"select cluster_label, feature, mean_z from {relation}").df()
    except Exception:  # noqa: BLE001 - no previous build (table missing) is the normal case
        return None, None
    return centroids_from_profiles(frame, features)


def centroids_from_profiles(frame: pd.DataFrame | None, features: Sequence[str]
                            ) -> tuple[np.ndarray | None, list[str] | None]:
    """Centroids (mean z per feature) and labels from cluster_profiles rows (cluster_label,
    feature, mean_z). Returns (None, None) on the first build (no rows), or when the previous
    build used other features."""
    if frame is None or frame.empty or set(frame["feature"]) != set(features):
        return None, None
    wide = frame.pivot_table(index="cluster_label", columns="feature", values="mean_z")
    wide = wide[list(features)]
    return wide.to_numpy(), list(wide.index)
