"""Benchmark the data generator: wall time, events per second and peak memory.

    .venv/bin/python bench/bench_generate.py --events 10000000

Target (issue: foundation): 10 M events in at most 60 s with bounded memory, on the 2-core
machine. Prints the figures; asserts nothing (machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from segmart.generate import Config, Generator

#: Events the generator writes per person with the default settings (measured, rounded).
EVENTS_PER_PERSON = 41


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000, help="events to aim for")
    parser.add_argument("--chunk-users", type=int, default=25_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the output here")
    args = parser.parse_args(argv)

    users = max(1, args.events // EVENTS_PER_PERSON)
    out = args.keep or Path(tempfile.mkdtemp(prefix="segmart-bench-"))
    started = time.perf_counter()
    manifest = Generator(Config(users=users, chunk_users=args.chunk_users), out,
                         progress=True).run()
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    events = manifest["rows"]["events"]
    size_mb = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
    print(f"persons            {users:,}")
    print(f"events             {events:,}")
    print(f"order lines        {manifest['rows']['orders']:,}")
    print(f"wall time          {seconds:.1f} s   (target <= 60 s for 10 M events)")
    print(f"events per second  {events / seconds:,.0f}")
    print(f"peak memory (RSS)  {peak_mb:,.0f} MB  (chunks of {args.chunk_users:,} persons)")
    print(f"parquet on disk    {size_mb:,.0f} MB")
    if args.keep is None:
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
