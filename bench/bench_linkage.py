"""Benchmark: probabilistic CRM de-duplication (segmart.identity.linkage) at 1 M records.

Builds synthetic CRM records as tests/python/test_linkage.py does (originals, planted
duplicates, namesakes, families), then trains the splink model and scores the blocked
pairs, and prints time, peak memory and pairwise precision and recall against the planted
truth. Usage: python bench/bench_linkage.py [--records 1000000] [--threads N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))

from segmart.identity import match_crm_records, train_crm_linkage  # noqa: E402
from test_linkage import synthetic_crm_records  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pairs(frame: pd.DataFrame, left: str, right: str) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([frame[left], frame[right]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--threshold", type=float, default=0.99)
    args = parser.parse_args()

    started = time.perf_counter()
    # about 1.26 records per person with the fixture's shares
    records, truth = synthetic_crm_records(int(args.records / 1.26), seed=1)
    built = time.perf_counter()
    peak_data = _peak_mb()
    print(f"records: {len(records):,} ({truth['person_id'].nunique():,} persons), "
          f"built in {built - started:.1f} s, peak RSS {peak_data:,.0f} MB")

    parameters = train_crm_linkage(records, seed=7, threads=args.threads)
    trained = time.perf_counter()
    print(f"training (u: 1e7 sampled pairs; m: EM on 3 rules, <= 2e6 pairs each): "
          f"{trained - built:.1f} s, peak RSS {_peak_mb():,.0f} MB")

    pairs, _ = match_crm_records(records, threshold=args.threshold, parameters=parameters,
                                 threads=args.threads)
    predicted = time.perf_counter()
    print(f"prediction (4 blocking rules, threshold {args.threshold}): "
          f"{predicted - trained:.1f} s, {len(pairs):,} pairs, peak RSS {_peak_mb():,.0f} MB")

    same = truth.merge(truth, on="person_id")
    same = same[same["user_id_x"] < same["user_id_y"]]
    truth_pairs = _pairs(same, "user_id_x", "user_id_y")
    found = _pairs(pairs, "user_id_left", "user_id_right")
    hits = len(found.intersection(truth_pairs))
    print(f"pairwise precision {hits / max(len(found), 1):.4f}, "
          f"recall {hits / max(len(truth_pairs), 1):.4f} ({len(truth_pairs):,} true pairs)")
    print(f"training + prediction: {predicted - built:.1f} s; "
          f"peak RSS of the process {_peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
