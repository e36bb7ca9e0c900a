"""The default demo (`make demo`: 20,000 persons, 120 days, seed 7) built with the default
configuration: what a new user sees first must hold up.

Background customers fall into rules here as real ones do, so the planted archetypes are a
recall check; rule precision is measured without background noise (conftest's `built`).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import Build, run_dbt
from segmart.generate import Config, Generator, expected_segments

pytestmark = pytest.mark.e2e

#: Archetypes that differ in the clustering features (recency, activity, spend, time of day).
SEPARABLE = ("dormant", "highly_active", "evening_browser", "morning_buyer", "high_value_buyer")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Build:
    work = tmp_path_factory.mktemp("demo")
    raw = work / "raw"
    defaults = Config()
    # the Makefile's demo: DEMO_USERS=20000, DEMO_DAYS=120, DEMO_SEED=7, AS_OF=2025-01-01
    manifest = Generator(Config(users=20_000, days=120, seed=7, end=defaults.end), raw,
                         progress=False).run()
    db = work / "demo.duckdb"
    result = run_dbt(["build", "--vars", json.dumps({"as_of": manifest["as_of"]})],
                     raw, db, work)
    assert result.returncode == 0, result.stdout[-6000:]
    return Build(raw_dir=raw, db_path=db, manifest=manifest, as_of=manifest["as_of"])


@pytest.fixture(scope="module")
def truth(demo) -> pd.DataFrame:
    return pd.concat(pd.read_parquet(p) for p in sorted((demo.raw_dir / "_ground_truth")
                                                        .glob("*.parquet")))


def test_clusters_are_micro_segments_that_recover_the_distinct_archetypes(demo, truth):
    clusters = demo.frame("select user_id, cluster_id, cluster_label, lifecycle_stage "
                          "from marts.user_clusters")
    assert clusters["cluster_id"].nunique() > 2
    placed = clusters.merge(truth[["user_id", "archetype"]], on="user_id")
    placed = placed[placed["archetype"].isin(SEPARABLE)]
    assert placed["archetype"].nunique() == len(SEPARABLE)
    assert adjusted_rand_score(placed["archetype"], placed["cluster_id"]) >= 0.9
    # labels are unique and say the stage; the big ordinary group is not a "big-basket" one
    labels = clusters.drop_duplicates("cluster_id")["cluster_label"]
    assert labels.is_unique and "Dormant" in set(labels)
    assert all(label == "Dormant" or label.split(":")[0] in ("Browsers", "Buyers")
               for label in labels)


def test_every_chosen_split_is_stable_and_big_enough(demo):
    quality = demo.frame("select * from marts.clustering_quality")
    chosen = quality[quality["is_chosen"]]
    assert set(chosen["stage"]) == {"dormant", "browsers", "buyers"}
    split = chosen[chosen["k"] > 1]
    assert (split["min_stability"] >= 0.75).all()
    sizes = demo.frame("select count(*) as n from marts.user_clusters group by cluster_id")
    assert sizes["n"].min() >= 0.01 * quality["count_eligible"].max()
    assert quality["warning"].isna().all()  # every feature varies on the demo


def test_planted_archetypes_are_found_among_background_members(demo, truth):
    memberships = demo.frame("select segment, user_id from marts.segment_memberships")
    expected = expected_segments(truth)
    for segment, planted in expected.groupby("segment")["user_id"]:
        found = set(memberships.loc[memberships["segment"] == segment, "user_id"])
        recall = len(found & set(planted)) / len(planted)
        assert recall >= 0.95, (segment, recall)
    regulars = set(truth.loc[truth["archetype"] == "regular", "user_id"])
    for segment in ("cart_abandoners", "dormant_users", "new_users", "highly_active_users"):
        members = set(memberships.loc[memberships["segment"] == segment, "user_id"])
        assert len(members & regulars) > 300, segment  # ordinary customers meet rules too


def test_the_summary_shows_segments_of_varied_sizes(demo):
    summary = demo.frame("select segment, count_members, meets_min_members, meets_min_share "
                         "from marts.segment_summary")
    rules = summary[~summary["segment"].str.startswith("rfm_")]
    assert rules["count_members"].nunique() >= len(rules) // 2
    big = rules[rules["meets_min_members"] & rules["meets_min_share"]]
    assert {"cart_abandoners", "dormant_users", "new_users", "highly_active_users"} <= set(
        big["segment"])
    rfm = summary[summary["segment"].str.startswith("rfm_")]
    assert len(rfm) == 10 and (rfm["count_members"] > 0).all()
