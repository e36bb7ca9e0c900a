"""Benchmark the prediction marts end to end: N persons (default 1 M) fitted and scored.

    .venv/bin/python bench/bench_predictions.py                 # 1,000,000 persons
    .venv/bin/python bench/bench_predictions.py --persons 100000

Simulates user_features at as_of and the two feature_snapshots (a per-person purchase rate
and a dropout the features reveal), then times what the dbt Python models call, in build
order: the CLV fits and scores (clv_model_fit, customer_value), the propensity quality fits
(propensity_model_quality), the production fits with SHAP drivers (propensity_scores) and
the lookalike (lookalike_scores, seed: the top 5 % by revenue). Prints seconds per step and
the process's peak RSS. Asserts nothing: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from segmart.predict.clv import ClvConfig, customer_value_from_fits, fit_models
from segmart.predict.lookalike import lookalike_table
from segmart.predict.propensity import (
    DEFAULT_FEATURES,
    PropensityConfig,
    quality_table,
    scores_table,
)

AS_OF = pd.Timestamp("2025-01-01")


def simulate(persons: int, rng: np.random.Generator, rate: np.ndarray, alive: np.ndarray,
             snapshot: int) -> pd.DataFrame:
    """user_features' columns at as_of - 30 * snapshot days, and the 30 days after."""
    frame = {}
    for window in (7, 30, 90):
        active = rate * alive * window
        frame[f"count_sessions_{window}d"] = rng.poisson(3 * active)
        frame[f"count_events_{window}d"] = rng.poisson(15 * active)
        frame[f"count_product_views_{window}d"] = rng.poisson(6 * active)
        frame[f"count_add_to_carts_{window}d"] = rng.poisson(2 * active)
    for window in (30, 90):
        frame[f"count_orders_{window}d"] = rng.poisson(rate * alive * window)
        frame[f"total_revenue_{window}d"] = frame[f"count_orders_{window}d"] * 40.0
    frame["count_orders_lifetime"] = frame["count_orders_90d"] + rng.poisson(rate * 200)
    frame["total_revenue_lifetime"] = frame["count_orders_lifetime"] * 40.0
    buyers = frame["count_orders_lifetime"] > 0
    frame["recency_days"] = np.where(alive, rng.exponential(1 / (3 * rate + 0.01)),
                                     rng.integers(30, 300, persons)).clip(0, 365).round()
    frame["days_since_last_order"] = np.where(buyers, frame["recency_days"] + 2, np.nan)
    frame["avg_order_value"] = np.where(buyers, 40.0, np.nan)
    frame["avg_session_seconds"] = rng.gamma(2.0, 200.0, persons)
    frame["share_orders_morning_90d"] = rng.random(persons)
    frame["share_sessions_evening_30d"] = rng.random(persons)
    frame["count_free_items_lifetime"] = rng.poisson(0.05, persons)
    t = rng.integers(30, 365, persons).astype(float)
    frequency = np.where(buyers, frame["count_orders_lifetime"] - 1, np.nan)
    frame["btyd_frequency"] = frequency
    frame["btyd_t"] = np.where(buyers, t, np.nan)
    frame["btyd_recency"] = np.where(
        buyers, np.where(frequency > 0, np.clip(t - frame["recency_days"], 1, t), 0.0), np.nan)
    frame["btyd_monetary_value"] = np.where(frequency > 0, rng.gamma(6.0, 7.0, persons), 0.0)
    out = pd.DataFrame(frame)
    out["user_id"] = [f"u{i:08d}" for i in range(persons)]
    out["as_of"] = AS_OF - pd.Timedelta(days=30 * snapshot)
    out["last_activity_at"] = out["as_of"]
    out["snapshot_number"] = snapshot
    out["count_orders_after"] = rng.poisson(rate * alive * 30)
    out["count_activity_after"] = out["count_orders_after"] + rng.poisson(3 * rate * alive * 30)
    return out[[*DEFAULT_FEATURES, "user_id", "as_of", "last_activity_at", "snapshot_number",
                "count_orders_after", "count_activity_after"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    rate = rng.gamma(0.9, 1 / 25, args.persons)
    alive = rng.random(args.persons) < 0.7
    frames = [simulate(args.persons, rng, rate, alive, k) for k in (0, 1, 2)]
    current, snapshots = frames[0], pd.concat(frames[1:], ignore_index=True)
    seeds = current.nlargest(args.persons // 20, "total_revenue_lifetime")[["user_id"]].assign(
        seed_segment="top_revenue")
    config = PropensityConfig()
    timings = {}
    started = time.perf_counter()

    def step(name):
        nonlocal started
        now = time.perf_counter()
        timings[name] = now - started
        started = now

    buyers = current[current["btyd_frequency"].notna()]
    bg, gg = fit_models(buyers, ClvConfig())
    customer_value_from_fits(buyers, bg, gg, ClvConfig())
    step("customer value (BG/NBD + Gamma-Gamma fit and score)")
    quality = quality_table(snapshots, config, AS_OF)
    step("propensity quality (2 targets, time-separated validation)")
    scores = scores_table(current, snapshots, config, AS_OF)
    step("propensity scores (2 targets, SHAP drivers)")
    looks = lookalike_table(current, seeds, config, AS_OF)
    step("lookalike (1 seed, 2 cross-fitted halves)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"persons: {args.persons:,}; BG/NBD {bg.status}, Gamma-Gamma {gg.status}; "
          f"quality {dict(zip(quality['target'], quality['status'], strict=True))}; "
          f"scores {len(scores):,} rows; lookalike {len(looks):,} rows")
    for name, seconds in timings.items():
        print(f"  {name:<62} {seconds:7.1f} s")
    print(f"  {'total':<62} {sum(timings.values()):7.1f} s")
    print(f"  peak RSS {peak_mb:,.0f} MB")
    print(quality[["target", "auc", "baseline_recency_auc", "count_train"]].to_string(
        index=False))


if __name__ == "__main__":
    main()
