"""Behavioural clustering of persons: preparation, model selection, fitting, profiles, labels.

Pure functions over pandas/numpy; no dbt imports. The dbt Python models in
``models/marts/ml/`` read their config and ``user_features`` and call :func:`select_model`,
:func:`assign_clusters` and :func:`profile_clusters`.

Persons are first put in a lifecycle stage (dormant, browsers, buyers; :func:`lifecycle_stages`)
and behaviour is clustered within each stage. Each stage takes the largest number of clusters
whose every cluster is stable under subsampling (mean Jaccard, Hennig's criterion) and holds at
least ``min_cluster_share`` of the eligible persons (:func:`choose_k`; the reasoning and the
measurements are in docs/decisions/0002-cluster-selection.md).

Everything random is seeded by ``ClusteringConfig.seed``: the same data and config give the
same clusters, the same labels and the same coordinates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

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

from segmart.relations import to_pandas

ALGORITHMS = ("kmeans", "gmm", "hdbscan", "dbscan", "agglomerative")
#: Lifecycle stages, in the order their clusters are numbered on ties; ``all`` when off.
STAGES = ("dormant", "browsers", "buyers")
#: Columns of user_features the stages are read from.
STAGE_COLUMNS = ("recency_days", "count_orders_90d")
#: The label of a stage that is one cluster, and the noun of its typical cluster.
STAGE_WORDS = {"dormant": ("Dormant", "dormant"), "browsers": ("Browsers", "browsers"),
               "buyers": ("Buyers", "buyers"), "all": ("Everyone", "customers")}
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
#: Within a stage everyone is active, so a high recency is lapsing, not dormant.
STAGE_TRAIT_WORDS = {**TRAIT_WORDS, "recency_days": ("Lapsing", "Recently active")}


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
    lifecycle_stages: bool = True
    dormant_days: int = 30
    cluster_dormant: bool = False
    min_cluster_share: float = 0.01
    stability_threshold: float = 0.75
    stability_resamples: int = 5
    stability_share: float = 0.8
    silhouette_sample_size: int = 5_000
    selection_sample_size: int = 10_000
    selection_n_init: int = 2
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
            elif name in ("min_cluster_share", "stability_threshold", "stability_share",
                          "dbscan_eps"):
                kwargs[name] = float(value)  # type: ignore[arg-type]
            elif name in ("lifecycle_stages", "cluster_dormant"):
                kwargs[name] = _as_bool(name, value)
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
        for name in ("min_cluster_share", "stability_threshold"):
            if not 0 <= getattr(self, name) < 1:
                raise ClusteringError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0.1 <= self.stability_share < 1:
            raise ClusteringError(
                f"stability_share must be in [0.1, 1), got {self.stability_share}")
        if self.stability_resamples < 2:
            raise ClusteringError(
                f"stability_resamples must be at least 2, got {self.stability_resamples}")
        if self.dormant_days < 1:
            raise ClusteringError(f"dormant_days must be at least 1, got {self.dormant_days}")
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


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ClusteringError(f"{name} must be true or false, got {value!r}")


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
    if config.lifecycle_stages:
        missing = [c for c in STAGE_COLUMNS if c not in available]
        if missing:
            raise ClusteringError(
                f"lifecycle stages need the column(s) {missing} of user_features; set "
                "lifecycle_stages: false to cluster everyone together")
        extra += [c for c in STAGE_COLUMNS if c not in config.features]
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
    #: lifecycle stage per person (all ``"all"`` when stages are off)
    stages: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    #: features left out because they are constant over the eligible persons
    dropped: tuple[str, ...] = ()

    @property
    def warning(self) -> str | None:
        """What clustering_quality and data_quality report about the features, if anything."""
        if not self.dropped:
            return None
        return ("constant over the eligible persons, left out of the clustering: "
                + ", ".join(self.dropped))


def lifecycle_stages(frame: pd.DataFrame, config: ClusteringConfig) -> np.ndarray:
    """The lifecycle stage of each row: ``dormant`` without activity in the last
    ``dormant_days`` (a null recency included), else ``buyers`` with a completed order in the
    last 90 days, else ``browsers``. Every row is ``all`` when stages are off."""
    if not config.lifecycle_stages:
        return np.full(len(frame), "all", dtype=object)
    recency = frame["recency_days"].astype("float64").to_numpy()
    orders = frame["count_orders_90d"].astype("float64").fillna(0.0).to_numpy()
    dormant = np.isnan(recency) | (recency >= config.dormant_days)
    return np.where(dormant, "dormant", np.where(orders > 0, "buyers", "browsers")).astype(object)


def prepare(frame: pd.DataFrame, config: ClusteringConfig) -> Prepared:
    """Check the features, log-transform the heavy-tailed ones, standardise, and put each
    person in a lifecycle stage.

    Nulls (a share without orders, a recency without activity) become 0 before scaling.
    Features constant over the eligible persons carry no information: they are left out and
    named in :attr:`Prepared.warning`; fewer than two usable features is an error.
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
    keep = [name not in constant for name in config.features]
    used = tuple(name for name, k in zip(config.features, keep, strict=True) if k)
    if len(values) and len(used) < 2:
        raise ClusteringError(
            f"only {len(used)} of the clustering features vary over the eligible persons "
            f"(constant: {constant}); at least two are needed: add features or widen the "
            "eligibility")
    if not len(values):
        used, keep, constant = tuple(config.features), [True] * len(config.features), []
    keep_index = np.flatnonzero(keep)
    matrix = (values[:, keep_index] - mean[keep_index]) / scale[keep_index]
    return Prepared(frame["user_id"].to_numpy(), matrix, original[list(used)],
                    mean[keep_index], scale[keep_index], used,
                    lifecycle_stages(frame, config), tuple(constant))


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


def choose_k(candidates: pd.DataFrame, min_share: float, threshold: float
             ) -> tuple[int, str, list[str]]:
    """The selection rule for one stage: the largest k whose every cluster is stable (mean
    Jaccard under subsampling at least ``threshold``) and holds at least ``min_share`` of
    the eligible persons; one cluster when no k qualifies. ``candidates`` has k,
    min_stability and smallest_cluster_share (k = 1 may be among them). Returns the chosen
    k, why, and a verdict per candidate row."""
    split = candidates[candidates["k"] > 1]
    stable = split["min_stability"] >= threshold
    big = split["smallest_cluster_share"] >= min_share
    admissible = split.loc[stable & big, "k"]
    if admissible.empty:
        chosen = 1
        reason = (f"one cluster: no split has every cluster stable (Jaccard >= {threshold:.2f})"
                  f" and at least {min_share:.1%} of the eligible persons")
    else:
        chosen = int(admissible.max())
        reason = (f"most clusters with every cluster stable (Jaccard >= {threshold:.2f}) "
                  f"and at least {min_share:.1%} of the eligible persons")
    verdicts = []
    for row in candidates.itertuples(index=False):
        if row.k == chosen:
            verdicts.append(reason)
        elif row.k == 1:
            verdicts.append("a split qualifies")
        elif pd.isna(row.min_stability):
            verdicts.append("fewer than two clusters on the sample")
        elif row.min_stability < threshold:
            verdicts.append(f"a cluster is unstable (Jaccard {row.min_stability:.2f})")
        elif row.smallest_cluster_share < min_share:
            verdicts.append(f"a cluster is too small ({row.smallest_cluster_share:.1%})")
        else:
            verdicts.append("qualifies, but fewer clusters")
    return chosen, reason, verdicts


def cluster_stability(matrix: np.ndarray, labels: np.ndarray, k: int | None,
                      config: ClusteringConfig) -> np.ndarray:
    """Per cluster of ``labels`` (fitted on ``matrix``), the mean Jaccard similarity with its
    best-matching cluster when the model is fitted again on random subsamples of
    ``stability_share`` of the rows (Hennig 2007, "subsetting"): 1 reproduces exactly,
    below 0.6 is noise, at least 0.75 is the usual bar for a real cluster."""
    ids = np.unique(labels)
    n = len(matrix)
    size = max(int(round(config.stability_share * n)), 2)
    rng = np.random.default_rng(config.seed + 100)
    totals = np.zeros(len(ids))
    for b in range(config.stability_resamples):
        rows = np.sort(rng.choice(n, size, replace=False))
        refit = replace_seed(config, config.seed + 101 + b)
        again, _, _ = _fit_predict(matrix[rows], config.algorithm, k, refit,
                                   config.selection_n_init)
        original = labels[rows]
        again_ids = np.unique(again)
        for position, c in enumerate(ids):
            mine = original == c
            best = 0.0
            for d in again_ids:
                theirs = again == d
                union = np.count_nonzero(mine | theirs)
                if union:
                    best = max(best, np.count_nonzero(mine & theirs) / union)
            totals[position] += best
    return totals / config.stability_resamples


def replace_seed(config: ClusteringConfig, seed: int) -> ClusteringConfig:
    """The same config with another seed (a refit that starts elsewhere)."""
    return replace(config, seed=seed)


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
    """Every candidate's quality, per stage, and the number of clusters chosen per stage."""

    candidates: pd.DataFrame
    chosen: dict[str, int]

    @property
    def chosen_k(self) -> int:
        """Clusters over all stages."""
        return sum(self.chosen.values())


def stage_matrix(prepared: Prepared, stage: str) -> np.ndarray:
    """The stage's rows, standardised within the stage, on the features that vary there."""
    block = prepared.matrix[prepared.stages == stage]
    scale = block.std(axis=0) if len(block) else np.ones(block.shape[1])
    varies = scale > 1e-12
    return (block[:, varies] - block[:, varies].mean(axis=0)) / scale[varies]


def _stage_order(prepared: Prepared) -> list[str]:
    present = set(prepared.stages)
    return [s for s in (*STAGES, "all") if s in present]


def select_model(prepared: Prepared, config: ClusteringConfig) -> Selection:
    """Fit and score each candidate k within each lifecycle stage, and choose per stage.

    Candidates are fitted on a seeded sample of at most ``selection_sample_size`` persons of
    the stage; silhouette, Davies-Bouldin and Calinski-Harabasz are computed on a seeded
    sub-sample of at most ``silhouette_sample_size`` rows; each cluster's stability is its
    mean Jaccard over ``stability_resamples`` refits on subsamples (:func:`cluster_stability`).
    The dormant stage is one cluster unless ``cluster_dormant``. :func:`choose_k` chooses.
    """
    n = len(prepared.matrix)
    if n < 3:
        raise ClusteringError(f"only {n} eligible person(s); at least 3 are needed to cluster")
    min_size = max(int(np.ceil(config.min_cluster_share * n)), 2)
    records: list[dict] = []
    chosen: dict[str, int] = {}
    for stage in _stage_order(prepared):
        stage_records = _stage_candidates(prepared, stage, config, min_size)
        frame = pd.DataFrame(stage_records)
        if stage == "dormant" and not config.cluster_dormant:
            k, verdicts = 1, ["one cluster: the dormant stage is not split (cluster_dormant "
                              "false); RFM tells its persons apart by value"]
        elif len(frame) == 1:
            k, verdicts = 1, [f"one cluster: too few persons for two clusters of {min_size}"]
        else:
            k, _, verdicts = choose_k(frame, config.min_cluster_share,
                                      config.stability_threshold)
        chosen[stage] = k
        for record, verdict in zip(stage_records, verdicts, strict=True):
            record["is_chosen"] = record["k"] == k
            record["reason"] = verdict
        records.extend(stage_records)
    candidates = pd.DataFrame(records)
    candidates["algorithm"] = config.algorithm
    # typed, so a warning that is null in every row is stored as text, not DuckDB's NULL type
    candidates["warning"] = pd.Series(prepared.warning, index=candidates.index, dtype="string")
    return Selection(candidates, chosen)


def _stage_candidates(prepared: Prepared, stage: str, config: ClusteringConfig,
                      min_size: int) -> list[dict]:
    n_eligible = len(prepared.matrix)
    matrix_all = stage_matrix(prepared, stage)
    n = len(matrix_all)
    base = {"stage": stage, "count_stage": n}
    one = {**base, "k": 1, "clusters_found": 1, "silhouette": np.nan,
           "davies_bouldin": np.nan, "calinski_harabasz": np.nan,
           "smallest_cluster_share": n / n_eligible, "min_stability": 1.0,
           "mean_stability": 1.0, "sample_size": n}
    splittable = (stage != "dormant" or config.cluster_dormant) and n >= 2 * min_size \
        and matrix_all.shape[1] >= 1
    if not splittable:
        return [one]
    if config.algorithm in K_ALGORITHMS:
        k_values: list[int | None] = [k for k in range(config.k_min, config.k_max + 1)
                                      if k * min_size <= n]
    else:
        k_values = [None]
    if not k_values:
        return [one]
    fit_rows = _sample(n, max(min(config.selection_sample_size, config.fit_sample_size),
                              config.silhouette_sample_size), config.seed + 3)
    matrix = matrix_all[fit_rows]
    rows = _sample(len(matrix), config.silhouette_sample_size, config.seed + 1)
    x = matrix[rows]
    records, scored = [one], []
    for k in k_values:
        labels, _, _ = _fit_predict(matrix, config.algorithm, k, config,
                                    config.selection_n_init)
        sample_labels = labels[rows]
        found = len(set(labels))
        stability = cluster_stability(matrix, labels, k, config)
        sizes = np.bincount(np.unique(labels, return_inverse=True)[1])
        record = {**base, "k": k or found, "clusters_found": found, "silhouette": np.nan,
                  "davies_bouldin": np.nan, "calinski_harabasz": np.nan,
                  # the sample's smallest cluster, scaled to the stage and then to everyone
                  "smallest_cluster_share": float(sizes.min() / len(matrix) * n / n_eligible),
                  "min_stability": float(stability.min()),
                  "mean_stability": float(stability.mean()), "sample_size": len(rows)}
        if len(set(sample_labels)) >= 2:
            record["davies_bouldin"] = float(davies_bouldin_score(x, sample_labels))
            record["calinski_harabasz"] = float(calinski_harabasz_score(x, sample_labels))
            scored.append((len(records), sample_labels))
        records.append(record)
    for (index, _), value in zip(scored, silhouettes(x, [lab for _, lab in scored]),
                                 strict=True):
        records[index]["silhouette"] = value
    return records


@dataclass(frozen=True)
class Assignment:
    """Per-person clusters and per-cluster centroids (standardised space)."""

    frame: pd.DataFrame  # user_id, cluster_index, distance_to_centroid, probability, pca_x, pca_y
    centroids: np.ndarray
    #: lifecycle stage of each cluster
    cluster_stages: tuple[str, ...] = ()
    #: each cluster's mean z-scores within its stage (what sets it apart there)
    stage_centroids: np.ndarray | None = None


def assign_clusters(prepared: Prepared, chosen: Mapping[str, int] | int,
                    config: ClusteringConfig) -> Assignment:
    """Fit the chosen model of each stage on all of its persons and place every person.

    ``chosen`` maps stage to clusters (an int when there is one stage). Clusters are
    numbered over all stages by size, largest first."""
    stages = _stage_order(prepared)
    if isinstance(chosen, int | np.integer):
        if len(stages) != 1:
            raise ClusteringError(f"one k for {len(stages)} stages: pass k per stage")
        chosen = {stages[0]: int(chosen)}
    labels = np.empty(len(prepared.matrix), dtype=np.int64)
    probability = np.full(len(prepared.matrix), np.nan)
    cluster_stages: list[str] = []
    offset = 0
    for stage in stages:
        members = np.flatnonzero(prepared.stages == stage)
        k = int(chosen.get(stage, 1))
        if k <= 1:
            local = np.zeros(len(members), dtype=np.int64)
        else:
            local, _, model = _fit_predict(stage_matrix(prepared, stage), config.algorithm,
                                           k, config)
            local = np.unique(local, return_inverse=True)[1]
            if isinstance(model, GaussianMixture):
                probability[members] = model.predict_proba(
                    stage_matrix(prepared, stage)).max(axis=1)
        labels[members] = local + offset
        found = int(local.max()) + 1 if len(local) else 0
        cluster_stages.extend([stage] * found)
        offset += found
    # renumber clusters by size (largest first), so numbering does not depend on the solver
    sizes = np.bincount(labels, minlength=offset)
    order = np.lexsort((np.arange(len(sizes)), -sizes))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    labels = rank[labels]
    cluster_stages = [cluster_stages[i] for i in order]
    centroids = np.vstack([prepared.matrix[labels == c].mean(axis=0) for c in range(offset)])
    stage_centroids = np.vstack([
        _within_stage(prepared, cluster_stages[c], labels == c) for c in range(offset)])
    distance = np.sqrt(((prepared.matrix - centroids[labels]) ** 2).sum(axis=1))
    fit_rows = _sample(len(prepared.matrix), config.fit_sample_size, config.seed + 2)
    pca = PCA(n_components=2, random_state=config.seed).fit(prepared.matrix[fit_rows])
    coords = pca.transform(prepared.matrix)
    # fix PCA's sign so coordinates do not flip between runs on other samples
    signs = np.sign(pca.components_[np.arange(2), np.abs(pca.components_).argmax(axis=1)])
    coords = coords * signs
    frame = pd.DataFrame({
        "user_id": prepared.user_ids,
        "cluster_index": labels.astype(np.int64),
        "lifecycle_stage": prepared.stages.astype(str),
        "distance_to_centroid": distance,
        "membership_probability": probability,
        "pca_x": coords[:, 0],
        "pca_y": coords[:, 1],
    })
    return Assignment(frame, centroids, tuple(cluster_stages), stage_centroids)


def _within_stage(prepared: Prepared, stage: str, members: np.ndarray) -> np.ndarray:
    block = prepared.matrix[prepared.stages == stage]
    scale = block.std(axis=0)
    scale[scale < 1e-12] = np.inf  # a feature constant in the stage sets no cluster apart
    return (prepared.matrix[members].mean(axis=0) - block.mean(axis=0)) / scale


def label_clusters(centroids: np.ndarray, features: Sequence[str],
                   threshold: float = 0.25, stages: Sequence[str] | None = None,
                   stage_centroids: np.ndarray | None = None) -> list[str]:
    """A readable, unique label per cluster from its dominant traits.

    Each cluster's traits are its features ranked by |mean z-score|; clusters take their
    strongest unused trait word, strongest first. A cluster with no trait above ``threshold``
    is "Average customers"; when a word is taken, the next trait is used, and as a last resort
    the second trait is appended.

    With ``stages`` (one per cluster) the traits are ``stage_centroids``, the z-scores
    within the cluster's stage, so a label says what sets the cluster apart from its stage
    (threshold 0.5): a stage that is one cluster is named for the stage ("Dormant"), others
    are "Buyers: morning buyers", and the cluster without a trait of its own is
    "Buyers: typical".
    """
    if stages is not None and stage_centroids is not None:
        return _stage_labels(centroids, features, list(stages), stage_centroids)
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
    return _fallback_labels(centroids, features, labels, used)


def _stage_labels(centroids: np.ndarray, features: Sequence[str], stages: list[str],
                  stage_centroids: np.ndarray, threshold: float = 0.5) -> list[str]:
    per_stage = Counter(stages)
    labels: dict[int, str] = {}
    used: set[str] = set()
    for c, stage in enumerate(stages):
        if per_stage[stage] == 1:
            labels[c] = STAGE_WORDS[stage][0]
            used.add(labels[c])
    candidates = []
    for c, center in enumerate(stage_centroids):
        if c in labels:
            continue
        for f, z in zip(features, center, strict=True):
            words = STAGE_TRAIT_WORDS.get(f, (f"High {f}", f"Low {f}"))
            candidates.append((abs(z), c, words[0] if z > 0 else words[1]))
    candidates.sort(key=lambda t: (-t[0], t[1], t[2]))
    for strength, c, word in candidates:
        if c in labels:
            continue
        word = f"{STAGE_WORDS[stages[c]][0]}: {'typical' if strength < threshold else word.lower()}"
        if word in used:
            continue
        labels[c] = word
        used.add(word)
    for c in range(len(stages)):
        if c not in labels:
            # every single trait is taken: the two strongest together, then a number
            ranked = sorted(zip(features, stage_centroids[c], strict=True),
                            key=lambda t: -abs(t[1]))[:2]
            words = [STAGE_TRAIT_WORDS.get(f, (f"High {f}", f"Low {f}"))[0 if z > 0 else 1]
                     for f, z in ranked]
            word = f"{STAGE_WORDS[stages[c]][0]}: " + ", ".join(w.lower() for w in words)
            candidate, suffix = word, 2
            while candidate in used:
                candidate, suffix = f"{word} ({suffix})", suffix + 1
            labels[c] = candidate
            used.add(candidate)
    return [labels[c] for c in range(len(stages))]


def _fallback_labels(centroids: np.ndarray, features: Sequence[str], labels: dict[int, str],
                     used: set[str]) -> list[str]:
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
                   max_distance: float = 1.0, stages: Sequence[str] | None = None,
                   previous_stages: Sequence[str] | None = None) -> list[str | None]:
    """For each new centroid, the label of the previous build's cluster it matches.

    Pairs are matched by minimum total distance (Hungarian); a pair further apart than
    ``max_distance`` (in z units), or of another lifecycle stage, is no match. Unmatched
    clusters get None. Previous clusters of unknown stage never match staged ones.
    """
    if previous is None or previous_labels is None or len(previous) == 0:
        return [None] * len(centroids)
    staged = stages is not None and set(stages) != {"all"}
    if staged and previous_stages is None:
        return [None] * len(centroids)
    from scipy.optimize import linear_sum_assignment

    cost = np.sqrt(((centroids[:, None, :] - previous[None, :, :]) ** 2).sum(axis=2))
    if staged:
        other = np.array(stages)[:, None] != np.array(previous_stages)[None, :]
        cost[other] = max_distance * 1e6
    rows, cols = linear_sum_assignment(cost)
    out: list[str | None] = [None] * len(centroids)
    for r, c in zip(rows, cols, strict=True):
        if cost[r, c] <= max_distance:
            out[r] = previous_labels[c]
    return out


def final_labels(centroids: np.ndarray, features: Sequence[str],
                 previous: np.ndarray | None = None,
                 previous_labels: Sequence[str] | None = None,
                 assignment: Assignment | None = None,
                 previous_stages: Sequence[str] | None = None) -> list[str]:
    """Labels carried over from matched previous clusters of the same stage, fresh unique
    ones elsewhere (within-stage traits when ``assignment`` has stages)."""
    stages = assignment.cluster_stages if assignment is not None else None
    carried = match_previous(centroids, previous, previous_labels, stages=stages or None,
                             previous_stages=previous_stages)
    if assignment is not None and assignment.cluster_stages:
        fresh = label_clusters(centroids, features, stages=assignment.cluster_stages,
                               stage_centroids=assignment.stage_centroids)
    else:
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
    stages = (clusters["lifecycle_stage"] if "lifecycle_stage" in clusters
              else pd.Series("all", index=clusters.index))
    rows = []
    for (cluster_id, label, stage), members in clusters.assign(lifecycle_stage=stages).groupby(
            ["cluster_id", "cluster_label", "lifecycle_stage"], sort=True).indices.items():
        for i, feature in enumerate(prepared.features):
            rows.append({
                "cluster_id": int(cluster_id),
                "cluster_label": label,
                "lifecycle_stage": stage,
                "count_members": len(members),
                "share_of_eligible": len(members) / n,
                "feature": feature,
                "mean_value": float(original[members, i].mean()),
                "median_value": float(np.median(original[members, i])),
                "mean_z": float(matrix[members, i].mean()),
                "median_z": float(np.median(matrix[members, i])),
            })
    return pd.DataFrame(rows)


Previous = tuple[np.ndarray | None, list[str] | None, list[str] | None]


def previous_centroids(connection, relation: str, features: Sequence[str]) -> Previous:
    """Centroids (mean z per feature), labels and stages of the previous build's
    cluster_profiles, read through a DuckDB connection (see :func:`centroids_from_profiles`)."""
    try:
        frame = connection.execute(f"select * from {relation}").df()
    except Exception:  # noqa: BLE001 - no previous build (table missing) is the normal case
        return None, None, None
    return centroids_from_profiles(frame, features)


def centroids_from_profiles(frame: pd.DataFrame | None, features: Sequence[str]) -> Previous:
    """Centroids (mean z per feature), labels and lifecycle stages (None when the profiles
    have none) from cluster_profiles rows. All None on the first build (no rows), or when the
    previous build used other features."""
    if frame is None or frame.empty or set(frame["feature"]) != set(features):
        return None, None, None
    stage = "lifecycle_stage" in frame.columns
    index = ["lifecycle_stage", "cluster_label"] if stage else ["cluster_label"]
    wide = frame.pivot_table(index=index, columns="feature", values="mean_z")
    wide = wide[list(features)]
    if stage:
        return (wide.to_numpy(), [label for _, label in wide.index],
                [stage for stage, _ in wide.index])
    return wide.to_numpy(), list(wide.index), None


def quality_table(prepared: Prepared, config: ClusteringConfig, as_of: object) -> pd.DataFrame:
    """clustering_quality: every stage's candidates, with the eligible count and as_of."""
    quality = select_model(prepared, config).candidates
    quality["count_eligible"] = len(prepared.matrix)
    quality["as_of"] = as_of
    return quality


def chosen_per_stage(quality: pd.DataFrame) -> dict[str, int]:
    """The k each stage chose, from clustering_quality's rows."""
    chosen = quality.loc[quality["is_chosen"].astype(bool), ["stage", "k"]]
    return {str(stage): int(k) for stage, k in chosen.itertuples(index=False)}


def clusters_table(prepared: Prepared, chosen: Mapping[str, int], config: ClusteringConfig,
                   previous: Previous, as_of: object) -> pd.DataFrame:
    """user_clusters: every eligible person's cluster and label (labels carried over from
    the previous build's matching centroids, ``previous`` as :func:`previous_centroids`
    gives it)."""
    assignment = assign_clusters(prepared, chosen, config)
    centroids, labels, stages = previous
    labels = final_labels(assignment.centroids, prepared.features, centroids, labels,
                          assignment=assignment, previous_stages=stages)
    clusters = assignment.frame.rename(columns={"cluster_index": "cluster_id"})
    clusters["cluster_label"] = [labels[c] for c in clusters["cluster_id"]]
    clusters["algorithm"] = config.algorithm
    clusters["as_of"] = as_of
    return clusters
