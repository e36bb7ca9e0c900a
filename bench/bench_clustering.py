"""Benchmark the clustering end to end: prepare, select k, fit, place everyone, profile.

    .venv/bin/python bench/bench_clustering.py --persons 1000000

Target (issue: Python models): 1 M eligible persons in at most 60 s with peak memory at most
4 GB on the 2-core machine. The persons are synthetic rows shaped like user_features (five
behavioural groups with heavy-tailed counts and money). Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from segmart.clustering import (
    DEFAULT_FEATURES,
    ClusteringConfig,
    clusters_table,
    prepare,
    profile_clusters,
    select_model,
)


def synthetic_features(n: int, seed: int = 7) -> pd.DataFrame:
    """Rows shaped like user_features: five groups with their own activity and spend."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 5, n)
    sessions = rng.poisson(np.array([1, 12, 4, 3, 6])[group])
    orders = rng.poisson(np.array([0.1, 1, 0.2, 3, 6])[group])
    frame = pd.DataFrame({
        "user_id": [f"u{i:08d}" for i in range(n)],
        "recency_days": rng.integers(0, 10, n) + np.array([60, 0, 5, 3, 2])[group],
        "count_sessions_30d": sessions,
        "count_events_30d": sessions * rng.integers(3, 9, n),
        "count_product_views_30d": sessions * rng.integers(0, 3, n),
        "count_add_to_carts_30d": rng.poisson(0.5, n) * (sessions > 0),
        "count_orders_90d": orders,
        "total_revenue_90d": orders * rng.lognormal(3 + group / 2, 0.5, n),
        "avg_order_value": np.where(orders > 0, rng.lognormal(3 + group / 2, 0.5, n), 0),
        "share_orders_morning_90d": np.where(group == 3, rng.uniform(0.6, 1, n),
                                             rng.uniform(0, 0.2, n)),
        "share_sessions_evening_30d": np.where(group == 2, rng.uniform(0.6, 1, n),
                                               rng.uniform(0, 0.3, n)),
    })
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    frame = synthetic_features(args.persons)
    config = ClusteringConfig(features=DEFAULT_FEATURES)
    timings = {}
    started = time.perf_counter()
    prepared = prepare(frame, config)
    timings["prepare"] = time.perf_counter() - started
    t = time.perf_counter()
    selection = select_model(prepared, config)
    timings["select k per stage"] = time.perf_counter() - t
    t = time.perf_counter()
    clusters = clusters_table(prepared, selection.chosen, config, (None, None, None), None)
    labels = list(dict.fromkeys(clusters.sort_values("cluster_id")["cluster_label"]))
    timings["fit and place everyone"] = time.perf_counter() - t
    t = time.perf_counter()
    profile_clusters(prepared, clusters)
    timings["profile"] = time.perf_counter() - t
    total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"persons            {args.persons:,}")
    print(f"algorithm          {config.algorithm} "
          f"({'MiniBatchKMeans' if args.persons > config.minibatch_threshold else 'KMeans'})")
    print(f"chosen k           {selection.chosen} (most clusters, every one stable and "
          f">= {config.min_cluster_share:.0%})")
    for name, seconds in timings.items():
        print(f"  {name:<22} {seconds:6.1f} s")
    print(f"total              {total:.1f} s   (target <= 60 s)")
    print(f"peak memory (RSS)  {peak_mb:,.0f} MB  (target <= 4,096 MB; includes the input)")
    print(f"clusters           {', '.join(labels)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
