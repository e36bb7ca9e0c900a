"""Purchase and churn propensity: gradient-boosted trees trained point-in-time, calibrated,
with each person's top drivers (docs/propensity.md).

Targets over a horizon of H days (``segmart_propensity_horizon_days``):

- **purchase**: at least one completed order in ``(as_of, as_of + H]``, asked of every person
  with some activity by as_of;
- **churn**: no activity at all in ``(as_of, as_of + H]``, asked of the persons active in the
  ``active_days`` before as_of.

``feature_snapshots`` holds user_features at ``as_of - H`` (snapshot 1) and ``as_of - 2H``
(snapshot 2) with what each person did in the H days after. The **quality** fit trains on
snapshot 2 and is measured on snapshot 1, a later period, against two baselines (recency
alone; BG/NBD expected orders for purchase). The **production** fit trains on snapshot 1, the
latest labelled period, and scores everyone at as_of from user_features.

A fit is LightGBM on a deterministic 80 % of its rows (a hash of user_id), stopped early on
the other 20 %, whose raw scores then calibrate it (Platt scaling: a logistic regression of
the label on the raw score, strictly monotone, so ranks and AUC are the booster's). The top
drivers are LightGBM's exact tree SHAP values (``pred_contrib``) in log-odds of the raw
booster; calibration keeps their signs and order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from segmart.relations import to_pandas

TARGETS = ("purchase", "churn")

#: user_features columns the models read; all exist at every snapshot (same SQL).
DEFAULT_FEATURES = (
    "recency_days",
    "count_sessions_7d", "count_sessions_30d", "count_sessions_90d",
    "count_events_7d", "count_events_30d", "count_events_90d",
    "count_product_views_7d", "count_product_views_30d", "count_product_views_90d",
    "count_add_to_carts_7d", "count_add_to_carts_30d", "count_add_to_carts_90d",
    "count_orders_30d", "count_orders_90d", "count_orders_lifetime",
    "total_revenue_30d", "total_revenue_90d", "total_revenue_lifetime",
    "avg_order_value", "avg_session_seconds",
    "share_orders_morning_90d", "share_sessions_evening_30d",
    "days_since_last_order", "count_free_items_lifetime",
    "btyd_frequency", "btyd_recency", "btyd_t", "btyd_monetary_value",
)

QUALITY_COLUMNS = (
    "target", "status", "reason", "horizon_days", "train_snapshot_at",
    "validation_snapshot_at", "count_train", "count_validation", "positive_rate_train",
    "positive_rate_validation", "auc", "log_loss", "lift_top_decile", "brier",
    "calibration_error", "baseline_recency_auc", "baseline_recency_log_loss",
    "baseline_recency_lift_top_decile", "baseline_bg_nbd_auc", "baseline_bg_nbd_log_loss",
    "baseline_bg_nbd_lift_top_decile", "count_trees", "count_features", "as_of",
)


class PropensityError(ValueError):
    """A configuration the models cannot run with (named, before any fit)."""


@dataclass(frozen=True)
class PropensityConfig:
    """Settings from the vars (dbt_project.yml) and the predictions folder config."""

    horizon_days: int = 30
    active_days: int = 90
    min_class_rows: int = 50
    max_train_rows: int = 100_000
    features: tuple[str, ...] = DEFAULT_FEATURES
    seed: int = 7
    n_estimators: int = 150
    learning_rate: float = 0.15
    num_leaves: int = 7
    max_depth: int = 3
    max_bin: int = 63
    min_child_samples: int = 50
    feature_fraction: float = 0.8
    lambda_l2: float = 1.0
    early_stopping_rounds: int = 30
    num_threads: int = 1
    predict_threads: int = 2
    top_drivers: int = 3
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_mapping(cls, mapping: Mapping | None) -> PropensityConfig:
        mapping = dict(mapping or {})
        known = {f.name: f for f in fields(cls) if f.name != "extra"}
        unknown = sorted(set(mapping) - set(known))
        if unknown:
            raise PropensityError(f"unknown propensity setting(s) {unknown}; known: "
                                  f"{sorted(known)}")
        values = {}
        for name, value in mapping.items():
            if name == "features":
                if isinstance(value, str):
                    value = [v.strip() for v in value.split(",") if v.strip()]
                values[name] = tuple(value)
            elif known[name].type in ("int", int):
                values[name] = int(value)
            elif known[name].type in ("float", float):
                values[name] = float(value)
            else:
                values[name] = value
        config = cls(**values)
        if config.horizon_days < 1 or config.active_days < 1 or config.min_class_rows < 1:
            raise PropensityError("horizon_days, active_days and min_class_rows must be >= 1")
        if not config.features:
            raise PropensityError("propensity needs at least one feature")
        return config


# --- populations and labels -----------------------------------------------------------------

def population(frame: pd.DataFrame, target: str, config: PropensityConfig) -> np.ndarray:
    """Rows asked about the target: anyone active by then (purchase), or active in the last
    active_days (churn)."""
    active = frame["last_activity_at"].notna().to_numpy()
    if target == "purchase":
        return active
    if target == "churn":
        recency = frame["recency_days"].to_numpy(dtype=float)
        return active & (np.nan_to_num(recency, nan=np.inf) < config.active_days)
    raise PropensityError(f"unknown target {target!r}; known: {TARGETS}")


def labels(frame: pd.DataFrame, target: str) -> np.ndarray:
    """1 where the target happened in the horizon after the snapshot."""
    if target == "purchase":
        return (frame["count_orders_after"].to_numpy() > 0).astype(int)
    return (frame["count_activity_after"].to_numpy() == 0).astype(int)


def stable_hash(user_ids: pd.Series, seed: int) -> np.ndarray:
    """A per-person hash that is the same on every run and machine (pandas' fixed key)."""
    keyed = user_ids.astype(str) + f"|{seed}"
    return pd.util.hash_pandas_object(keyed, index=False).to_numpy()


def sample_rows(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    """At most limit rows: those with the smallest hashes, so the sample is reproducible."""
    if len(frame) <= limit:
        return frame
    order = np.argsort(stable_hash(frame["user_id"], seed), kind="stable")[:limit]
    return frame.iloc[np.sort(order)]


def check_features(columns: Sequence[str], config: PropensityConfig) -> None:
    missing = [f for f in config.features if f not in columns]
    if missing:
        raise PropensityError(f"propensity feature(s) {missing} are not columns of "
                              f"user_features; available: {sorted(columns)}")


def matrix(frame: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """Features as float64; nulls stay NaN, which LightGBM routes as missing."""
    return frame.loc[:, list(features)].to_numpy(dtype=np.float64, na_value=np.nan)


# --- one fit -------------------------------------------------------------------------------

@dataclass
class Fitted:
    """A calibrated booster: score = sigmoid(a * raw + b)."""

    booster: object
    features: tuple[str, ...]
    a: float
    b: float
    # scoring is embarrassingly parallel and deterministic at any thread count; training
    # stays on num_threads (one by default: two OpenMP threads beside dbt's oversubscribe)
    threads: int = 1

    @property
    def count_trees(self) -> int:
        return int(self.booster.num_trees())

    def raw(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(x, raw_score=True, num_threads=self.threads)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.a * self.raw(x) + self.b)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per-feature SHAP values in raw log-odds; the last column is the expected value."""
        return np.asarray(self.booster.predict(x, pred_contrib=True, num_threads=self.threads))

    def explain(self, x: np.ndarray, max_patterns: int = 1 << 15
                ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated p and the exact SHAP values of every row (last column: the expected
        value).

        A tree's SHAP values depend on a row only through the side it takes at each of the
        tree's splits, so rows that agree there share them. Consecutive trees are grouped
        while their combined split patterns stay below max_patterns; each group explains one
        row per distinct pattern (LightGBM's TreeSHAP on those trees only) and hands the
        values to every row with that pattern. The ensemble's values are the sum over the
        groups, as TreeSHAP's are over trees.
        """
        if len(x) == 0:
            return np.empty(0), np.zeros((0, len(self.features) + 1))
        # feature-major, so adding a group's values to one feature is one contiguous row
        total = np.zeros((len(self.features) + 1, len(x)))
        splits = self.booster.trees_to_dataframe()
        splits = splits[splits["split_feature"].notna()]
        column_of = {name: j for j, name in enumerate(self.booster.feature_name())}
        positions = self._threshold_positions(x, splits, column_of)
        by_tree: dict[int, list] = {}
        thresholds = splits.groupby(["tree_index", "split_feature"])["threshold"].unique()
        for (tree, name), values in thresholds.items():
            by_tree.setdefault(tree, []).append((name, np.asarray(values, dtype=float)))
        group_start, group_key, group_space = 0, np.zeros(len(x), np.int64), 1
        for tree in range(self.count_trees + 1):
            if tree < self.count_trees:
                code, space = self._tree_pattern(len(x), by_tree.get(tree), positions)
                if group_space * space <= max_patterns:
                    group_key = group_key * space + code
                    group_space *= space
                    continue
            self._add_group(x, total, group_start, tree - group_start, group_key, group_space)
            if tree < self.count_trees:
                group_start, group_key, group_space = tree, code.astype(np.int64), space
        return self.predict(x), np.ascontiguousarray(total.T)

    @staticmethod
    def _threshold_positions(x, splits, column_of) -> dict:
        """Per split feature: every threshold any tree splits it at (sorted), and each row's
        count of those below its value, or one past the last count when it is null. One
        search per feature, not one per tree and feature."""
        positions = {}
        for name, rows in splits.groupby("split_feature"):
            thresholds = np.unique(rows["threshold"].to_numpy(dtype=float))
            column = x[:, column_of[name]]
            below = np.searchsorted(thresholds, column, side="left")
            below[np.isnan(column)] = len(thresholds) + 1
            positions[name] = (thresholds, below)
        return positions

    @staticmethod
    def _tree_pattern(count_rows: int, splits: list | None, positions
                      ) -> tuple[np.ndarray, int]:
        """Each row's side pattern at one tree's splits, numbered densely from 0. A row's side
        at a feature is 1 + the tree's thresholds below its value (0 when null), read off
        its count among all the feature's thresholds: the tree's are a subset of those."""
        if splits is None:
            return np.zeros(count_rows, np.int64), 1
        pattern = np.zeros(count_rows, np.int64)
        space = 1
        for name, thresholds in splits:
            every, below = positions[name]
            own = np.isin(every, thresholds)
            side = np.concatenate(([1], 1 + np.cumsum(own), [0]))[below]
            sides = int(own.sum()) + 2
            pattern = pattern * sides + side
            space *= sides
        present = np.flatnonzero(np.bincount(pattern, minlength=space))
        dense = np.zeros(space, np.int64)
        dense[present] = np.arange(len(present))
        return dense[pattern], len(present)

    def _add_group(self, x, total, start, count, key, space) -> None:
        """Adds one group's SHAP values to total (features x rows), feature by feature, and
        only for the features with a non-zero value: the others are not split on in these
        trees, and adding zeros changes nothing."""
        if count == 0:
            return
        first = np.full(space, -1, np.int64)
        first[key[::-1]] = np.arange(len(key) - 1, -1, -1)
        present = np.flatnonzero(first >= 0)
        index = np.zeros(space, np.int64)
        index[present] = np.arange(len(present))
        values = np.asarray(self.booster.predict(
            x[first[present]], start_iteration=start, num_iteration=count, pred_contrib=True,
            num_threads=self.threads)).T.copy()
        of_row = index[key]
        for feature in np.flatnonzero(np.any(values != 0, axis=1)):
            total[feature] += values[feature][of_row]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood a, b of P(y=1) = sigmoid(a * raw + b) (Platt scaling)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    model.fit(raw.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def fit(frame: pd.DataFrame, y: np.ndarray, config: PropensityConfig) -> Fitted:
    """LightGBM on 80 % of the rows, stopped early and Platt-calibrated on the other 20 %."""
    import lightgbm

    held_out = (stable_hash(frame["user_id"], config.seed) % 5) == 0
    if held_out.all() or not held_out.any():
        held_out = np.arange(len(frame)) % 5 == 0
    x = matrix(frame, config.features)
    params = {
        "objective": "binary",
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "max_depth": config.max_depth,
        "max_bin": config.max_bin,
        "min_child_samples": config.min_child_samples,
        "feature_fraction": config.feature_fraction,
        "lambda_l2": config.lambda_l2,
        "num_threads": config.num_threads,
        "seed": config.seed,
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }
    train_set = lightgbm.Dataset(x[~held_out], label=y[~held_out],
                                 feature_name=list(config.features), free_raw_data=True)
    valid_set = lightgbm.Dataset(x[held_out], label=y[held_out], reference=train_set)
    booster = lightgbm.train(
        params, train_set, num_boost_round=config.n_estimators, valid_sets=[valid_set],
        callbacks=[lightgbm.early_stopping(config.early_stopping_rounds, verbose=False)])
    fitted = Fitted(booster, tuple(config.features), 1.0, 0.0, config.predict_threads)
    a, b = platt(fitted.raw(x[held_out]), y[held_out])
    fitted.a, fitted.b = a, b
    return fitted


# --- metrics ---------------------------------------------------------------------------------

def lift_top_decile(y: np.ndarray, score: np.ndarray) -> float:
    """Positive rate among the top 10 % by score over the overall rate (ties by order)."""
    n = len(y)
    top = max(1, int(math.ceil(n / 10)))
    order = np.argsort(-score, kind="stable")[:top]
    overall = y.mean()
    return float(y[order].mean() / overall) if overall > 0 else float("nan")


def calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ten equal-width bins of p: |observed rate - mean p|
    per bin, weighted by the bin's rows."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in np.unique(which):
        part = which == b
        error += part.sum() * abs(y[part].mean() - p[part].mean())
    return float(error / len(y))


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    return {
        "auc": float(roc_auc_score(y, p)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "lift_top_decile": lift_top_decile(y, p),
        "brier": float(brier_score_loss(y, p)),
        "calibration_error": calibration_error(y, p),
    }


def _recency_score(frame: pd.DataFrame) -> np.ndarray:
    recency = frame["recency_days"].to_numpy(dtype=float)
    return -np.nan_to_num(recency, nan=np.nanmax(recency, initial=0.0) + 1.0)


def _bg_nbd_expected(frame: pd.DataFrame, horizon_days: int):
    """BG/NBD expected orders in the horizon, fitted on this frame's own BTYD summary (no
    labels): 0 for persons without an order; None with the reason when it cannot fit."""
    from segmart.predict import clv

    buyers = frame["btyd_frequency"].notna().to_numpy()
    fitted = clv.fit_bg_nbd(frame.loc[buyers, "btyd_frequency"].to_numpy(dtype=float),
                            frame.loc[buyers, "btyd_recency"].to_numpy(dtype=float),
                            frame.loc[buyers, "btyd_t"].to_numpy(dtype=float))
    if fitted.status != "fitted":
        return None, fitted.reason
    expected = np.zeros(len(frame))
    expected[buyers] = clv.bg_nbd_expected_orders(
        fitted, horizon_days, frame.loc[buyers, "btyd_frequency"].to_numpy(dtype=float),
        frame.loc[buyers, "btyd_recency"].to_numpy(dtype=float),
        frame.loc[buyers, "btyd_t"].to_numpy(dtype=float))
    unscored = int((~np.isfinite(expected)).sum())
    if unscored:
        # a baseline that cannot score everyone is left out rather than stopping the build
        return None, f"BG/NBD expected orders are not finite for {unscored} persons"
    return expected, None


def _baseline(train_score, y_train, valid_score, y_valid, prefix) -> dict[str, float]:
    a, b = platt(train_score, y_train)
    scored = metrics(y_valid, _sigmoid(a * valid_score + b))
    return {f"{prefix}_{name}": scored[name] for name in ("auc", "log_loss", "lift_top_decile")}


def _class_problem(y: np.ndarray, minimum: int, what: str) -> str | None:
    positives = int(y.sum())
    negatives = int(len(y) - positives)
    if min(positives, negatives) < minimum:
        return (f"{what} has {positives} positive and {negatives} negative rows; at least "
                f"{minimum} of each are needed (segmart_propensity_min_class_rows)")
    return None


# --- the marts -------------------------------------------------------------------------------

def skip_reason(y_train: np.ndarray, y_valid: np.ndarray, config: PropensityConfig
                ) -> str | None:
    """Why a target is skipped (too few positives or negatives in snapshot 2, the quality
    fit's training rows, or in snapshot 1, its validation and the production fit's training
    rows), or None. Both marts ask it, so neither waits for the other."""
    return (_class_problem(y_train, config.min_class_rows, "training (as_of - 2H)")
            or _class_problem(y_valid, config.min_class_rows, "validation (as_of - H)"))


def _user_order(user_ids: pd.Series) -> np.ndarray:
    """The rows' positions in user_id order, ties in row order."""
    return user_ids.reset_index(drop=True).sort_values(kind="stable").index.to_numpy()


def training_rows(snapshots: pd.DataFrame, snapshot: int, target: str,
                  config: PropensityConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """The snapshot's population rows in user_id order, sampled (sample_rows), and their
    labels. The rows are copied once: with millions of persons each copy is a gigabyte."""
    kept = np.flatnonzero((snapshots["snapshot_number"].to_numpy() == snapshot)
                          & population(snapshots, target, config))
    rows = sample_rows(snapshots.iloc[kept[_user_order(snapshots["user_id"].iloc[kept])]],
                       config.max_train_rows, config.seed)
    return rows, labels(rows, target)


def quality_table(snapshots: pd.DataFrame, config: PropensityConfig, as_of) -> pd.DataFrame:
    """One row per target: the time-separated validation (train on snapshot 2, measure on
    snapshot 1) of the model and its baselines, or skipped with the reason."""
    check_features(snapshots.columns, config)
    out = []
    for target in TARGETS:
        train, y_train = training_rows(snapshots, 2, target, config)
        valid, y_valid = training_rows(snapshots, 1, target, config)
        row = dict.fromkeys(QUALITY_COLUMNS)
        row.update(target=target, horizon_days=config.horizon_days, as_of=as_of,
                   count_train=len(train), count_validation=len(valid),
                   count_features=len(config.features),
                   train_snapshot_at=_first(train, "as_of"),
                   validation_snapshot_at=_first(valid, "as_of"),
                   positive_rate_train=float(y_train.mean()) if len(train) else None,
                   positive_rate_validation=float(y_valid.mean()) if len(valid) else None)
        problem = skip_reason(y_train, y_valid, config)
        if problem:
            row.update(status="skipped", reason=problem)
            out.append(row)
            continue
        model = fit(train, y_train, config)
        row.update(metrics(y_valid, model.predict(matrix(valid, config.features))))
        row["count_trees"] = model.count_trees
        row.update(_baseline(_recency_score(train), y_train, _recency_score(valid), y_valid,
                             "baseline_recency"))
        reasons = []
        if target == "purchase":
            train_expected, why_train = _bg_nbd_expected(train, config.horizon_days)
            valid_expected, why_valid = _bg_nbd_expected(valid, config.horizon_days)
            if train_expected is None or valid_expected is None:
                reasons.append(f"BG/NBD baseline skipped: {why_train or why_valid}")
            else:
                row.update(_baseline(train_expected, y_train, valid_expected, y_valid,
                                     "baseline_bg_nbd"))
        row.update(status="fitted", reason="; ".join(reasons) or None)
        out.append(row)
    # every column typed, so a column that is null in every row (reason when all fit) is
    # stored as text or a number, not as DuckDB's NULL type
    measures = [c for c in QUALITY_COLUMNS if c.startswith(("positive_rate", "auc", "log_loss",
                                                           "lift", "brier", "calibration",
                                                           "baseline"))]
    return pd.DataFrame(out, columns=list(QUALITY_COLUMNS)).astype({
        "target": "string", "status": "string", "reason": "string",
        "count_train": "int64", "count_validation": "int64", "count_features": "int64",
        "horizon_days": "int64", "count_trees": "Int64",
        "train_snapshot_at": "datetime64[us]", "validation_snapshot_at": "datetime64[us]",
        **dict.fromkeys(measures, "float64")})


def _first(frame: pd.DataFrame, column: str):
    return frame[column].iloc[0] if len(frame) else None


#: persons explained at once by scores_table: its SHAP and driver matrices are this many rows
SCORE_CHUNK_ROWS = 250_000


def share_at_or_below(values: np.ndarray) -> np.ndarray:
    """Per value, the share (in %) of all values at or below it: 100 for the highest, and
    above 0 for the lowest however many there are (not rounded: at 4 decimals the lowest of
    more than 2 million persons would be 0)."""
    ranks = pd.Series(values).rank(method="max").to_numpy()
    return 100.0 * ranks / len(values)


def tie_aware_bucket(values: np.ndarray, buckets: int) -> np.ndarray:
    """1 + floor(buckets * (rank - 1) / n) with rank the tie group's first place (as the
    rfm_quintile macro): equal scores share a bucket, the highest is `buckets`."""
    ranks = pd.Series(values).rank(method="min").to_numpy()
    return (1 + np.floor(buckets * (ranks - 1) / len(values))).astype(np.int64)


def top_drivers(contributions: np.ndarray, x: np.ndarray, features: Sequence[str],
                count: int):
    """Per row, the `count` features with the largest |SHAP contribution|: an Arrow list of
    structs (feature, value, contribution), largest first."""
    import pyarrow as pa

    shap = contributions[:, :-1]
    top = np.argsort(-np.abs(shap), axis=1, kind="stable")[:, :count]
    rows = np.arange(len(top))[:, None]
    values = x[rows, top].ravel()
    entries = pa.StructArray.from_arrays(
        [pa.array(np.asarray(features, dtype=object)[top.ravel()], pa.string()),
         pa.array(values, pa.float64(), mask=np.isnan(values)),
         pa.array(shap[rows, top].ravel(), pa.float64())],
        names=["feature", "value", "contribution"])
    offsets = pa.array(np.arange(0, len(top) * top.shape[1] + 1, top.shape[1]), pa.int32())
    return pa.ListArray.from_arrays(offsets, entries)


def _score_schema():
    import pyarrow as pa

    driver = pa.struct([("feature", pa.string()), ("value", pa.float64()),
                        ("contribution", pa.float64())])
    return pa.schema([("user_id", pa.string()), ("target", pa.string()), ("p", pa.float64()),
                      ("percentile", pa.float64()), ("decile", pa.int64()),
                      ("top_drivers", pa.list_(driver)), ("horizon_days", pa.int64()),
                      ("as_of", pa.timestamp("us"))])


def scores_table(current: pd.DataFrame, snapshots: pd.DataFrame, config: PropensityConfig,
                 as_of, chunk_rows: int = SCORE_CHUNK_ROWS):
    """One row per person and fitted target (an Arrow table): calibrated p at as_of from the
    model trained on snapshot 1, its percentile and decile among the target's population,
    and the top drivers. A target the quality table skips (skip_reason) has no rows.
    Persons are explained chunk_rows at a time, so the SHAP matrices stay that size."""
    import pyarrow as pa

    check_features(current.columns, config)
    schema = _score_schema()
    by_user = _user_order(current["user_id"])
    parts = []
    for target in TARGETS:
        train, y_train = training_rows(snapshots, 1, target, config)
        if skip_reason(training_rows(snapshots, 2, target, config)[1], y_train, config):
            continue
        model = fit(train, y_train, config)
        scored = by_user[population(current, target, config)[by_user]]
        if len(scored) == 0:
            continue
        chunks, drivers = [], []
        for start in range(0, len(scored), chunk_rows):
            x = matrix(current.iloc[scored[start:start + chunk_rows]], config.features)
            chunk_p, contributions = model.explain(x)
            chunks.append(chunk_p)
            drivers.append(top_drivers(contributions, x, config.features, config.top_drivers))
        p = np.concatenate(chunks)
        parts.append(pa.table({
            "user_id": pa.array(current["user_id"].to_numpy()[scored], pa.string()),
            "target": pa.array(np.full(len(p), target, dtype=object), pa.string()),
            "p": pa.array(p, pa.float64()),
            "percentile": pa.array(share_at_or_below(p), pa.float64()),
            "decile": pa.array(tie_aware_bucket(p, 10), pa.int64()),
            "top_drivers": pa.chunked_array(drivers, schema.field("top_drivers").type),
            "horizon_days": pa.array(np.full(len(p), config.horizon_days), pa.int64()),
            "as_of": pa.array(np.full(len(p), pd.Timestamp(as_of).to_datetime64()),
                              pa.timestamp("us")),
        }, schema=schema))
    if not parts:
        return schema.empty_table()
    return pa.concat_tables(parts)


def read_columns(relation, config: PropensityConfig, extra: Sequence[str]) -> pd.DataFrame:
    """The needed columns of a DuckDB relation as pandas, features checked by name first."""
    check_features(relation.columns, config)
    wanted = ["user_id", "as_of", "last_activity_at", *extra, *config.features]
    wanted = list(dict.fromkeys(c for c in wanted if c in relation.columns))
    projected = relation.project(", ".join(wanted))
    return to_pandas(projected)


def read_as_of(relation):
    """The one as_of of int_as_of_resolved (a DuckDB relation)."""
    return relation.project("as_of").limit(1).fetchall()[0][0]


SNAPSHOT_COLUMNS = ("snapshot_number", "recency_days", "count_orders_after", "count_activity_after",
                    "btyd_frequency", "btyd_recency", "btyd_t")
