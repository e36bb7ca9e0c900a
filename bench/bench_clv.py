"""Benchmark the customer-value models: fit and score N persons (default 1 M).

    .venv/bin/python bench/bench_clv.py                  # 1,000,000 persons
    .venv/bin/python bench/bench_clv.py --persons 50000

Simulates user_features' btyd_* columns from the BG/NBD and Gamma-Gamma models themselves
(whole days, observed 1-365 days), then times what the dbt models call: the two fits
(clv_model_fit) and the scoring of every person (customer_value), and prints seconds and
the process's peak RSS. Asserts nothing: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from segmart.predict.clv import ClvConfig, customer_value_from_fits, fit_models


def simulate(persons: int, seed: int = 7) -> pd.DataFrame:
    """user_features' columns for persons with one order or more, from the models."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b, p, q, v = 0.25, 4.0, 0.8, 2.5, 6.0, 4.0, 15.0
    t = rng.integers(1, 366, persons).astype(float)
    rate = rng.gamma(r, 1 / alpha, persons)
    dropout_after = rng.geometric(rng.beta(a, b, persons))
    purchases = rng.poisson(rate * t)
    frequency = np.minimum(dropout_after, purchases)
    repeat = frequency > 0
    recency = np.zeros(persons)
    recency[repeat] = t[repeat] * rng.beta(frequency[repeat],
                                           purchases[repeat] - frequency[repeat] + 1)
    spend_rate = rng.gamma(q, 1 / v, persons)
    spend = np.zeros(persons)
    spend[repeat] = rng.gamma(p * frequency[repeat], 1 / spend_rate[repeat]) / frequency[repeat]
    return pd.DataFrame({
        "user_id": [f"u{i:08d}" for i in range(persons)],
        "as_of": pd.Timestamp("2025-01-01"),
        "btyd_frequency": frequency,
        "btyd_recency": np.minimum(np.round(recency), t),
        "btyd_t": t,
        "btyd_monetary_value": spend,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    features = simulate(args.persons)
    config = ClvConfig()
    started = time.perf_counter()
    bg, gg = fit_models(features, config)
    fitted = time.perf_counter()
    values = customer_value_from_fits(features, bg, gg, config)
    scored = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"persons {args.persons:,}, repeat buyers {int((features.btyd_frequency > 0).sum()):,}")
    print(f"bg_nbd {bg.status}: r {bg.r:.4g}, alpha {bg.alpha:.4g}, a {bg.a:.4g}, b {bg.b:.4g}")
    print(f"gamma_gamma {gg.status}: p {gg.p:.4g}, q {gg.q:.4g}, v {gg.v:.4g}")
    print(f"fit {fitted - started:.1f} s, score {scored - fitted:.1f} s, "
          f"total {scored - started:.1f} s, peak RSS {peak_mb:,.0f} MB "
          f"({len(values):,} rows scored)")


if __name__ == "__main__":
    main()
