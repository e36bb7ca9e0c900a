"""Propensity, lookalikes and the predictive segments: the maths on small frames, and a
build of a shop whose customers follow a buy-till-you-die process planted past as_of, so the
scores can be checked against what the generator says happened next."""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from conftest import Build, run_dbt
from segmart.generate import Config, Generator
from segmart.predict.lookalike import lookalike_table
from segmart.predict.propensity import (
    DEFAULT_FEATURES,
    PropensityConfig,
    PropensityError,
    calibration_error,
    fit,
    lift_top_decile,
    matrix,
    population,
    quality_table,
    sample_rows,
    scores_table,
    share_at_or_below,
    tie_aware_bucket,
    top_drivers,
    training_rows,
)

AS_OF = pd.Timestamp("2025-01-01")
PREDICTIVE_SEGMENTS = ["likely_buyers", "likely_churners", "high_value_at_risk",
                       "lookalike_rfm_champions"]


# --- the maths -------------------------------------------------------------------------------

def synthetic_snapshots(n: int, seed: int = 1) -> pd.DataFrame:
    """Two snapshots where purchases follow a per-person rate that the features reveal."""
    rng = np.random.default_rng(seed)
    frames = []
    rate = rng.gamma(1.0, 0.5, n)
    for snapshot in (1, 2):
        frame = pd.DataFrame({name: rng.poisson(1.0, n).astype(float)
                              for name in DEFAULT_FEATURES})
        frame["count_orders_90d"] = rng.poisson(rate * 3)
        frame["recency_days"] = rng.integers(0, 120, n).astype(float)
        frame["user_id"] = [f"u{i:05d}" for i in range(n)]
        frame["snapshot_number"] = snapshot
        frame["as_of"] = AS_OF - pd.Timedelta(days=30 * snapshot)
        frame["last_activity_at"] = frame["as_of"]
        frame["btyd_frequency"] = np.nan  # no buyers: the BG/NBD baseline is skipped
        frame["count_orders_after"] = rng.poisson(rate)
        frame["count_activity_after"] = frame["count_orders_after"] + rng.poisson(
            np.where(frame["recency_days"] < 30, 2.0, 0.2))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_config_names_unknown_settings_and_features():
    with pytest.raises(PropensityError, match="unknown propensity setting"):
        PropensityConfig.from_mapping({"horizon": 30})
    config = PropensityConfig.from_mapping({"horizon_days": "14", "features": "a, b"})
    assert config.horizon_days == 14 and config.features == ("a", "b")
    with pytest.raises(PropensityError, match=r"\['a', 'b'\] are not columns"):
        quality_table(synthetic_snapshots(100), config, AS_OF)


def test_percentiles_stay_above_zero_for_millions_of_persons():
    """At 4 decimals the lowest of 2.3 M persons rounded to 0 and failed the marts' range
    test in a 100 M-event build: the share is not rounded."""
    shares = share_at_or_below(np.arange(2_500_000, dtype=float))
    assert shares.min() == pytest.approx(100 / 2_500_000) and shares.min() > 0
    assert shares.max() == 100
    # ties share the place of the group's last member, so equal values are at or below
    assert share_at_or_below(np.array([0.3, 0.1, 0.3, 0.2])).tolist() == [100, 25, 100, 50]


def test_buckets_are_tie_aware_and_top_is_ten():
    assert tie_aware_bucket(np.arange(20.0), 10).tolist() == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]
    # equal scores share the bucket of the tie group's first place
    assert set(tie_aware_bucket(np.array([0.1] * 15 + [0.9] * 5), 10)) == {1, 8}


def test_lift_and_calibration_error():
    y = np.array([1] * 10 + [0] * 90)
    perfect = np.r_[np.ones(10), np.zeros(90)]
    assert lift_top_decile(y, perfect) == pytest.approx(10.0)
    assert lift_top_decile(y, -perfect) == pytest.approx(0.0)
    assert calibration_error(y, np.full(100, 0.1)) == pytest.approx(0.0)
    assert calibration_error(y, np.full(100, 0.5)) == pytest.approx(0.4)
    assert calibration_error(y, perfect) == pytest.approx(0.0)


def test_top_drivers_are_the_largest_signed_contributions():
    contributions = np.array([[0.5, -2.0, 0.1, 1.0, 0.3]])  # last column: expected value
    x = np.array([[1.0, np.nan, 3.0, 4.0]])
    drivers = top_drivers(contributions, x, ["a", "b", "c", "d"], 3).to_pylist()[0]
    assert [d["feature"] for d in drivers] == ["b", "d", "a"]
    assert drivers[0] == {"feature": "b", "value": None, "contribution": -2.0}
    assert drivers[1] == {"feature": "d", "value": 4.0, "contribution": 1.0}


@pytest.mark.parametrize("max_patterns", [1, 1 << 15])
def test_scores_and_drivers_from_distinct_rows_equal_a_direct_computation(max_patterns):
    """One tree per group (max_patterns 1) or the default grouping: the same SHAP values as
    LightGBM's own over every row."""
    snapshots = synthetic_snapshots(3000)
    snapshots.loc[snapshots.index[::5], "count_orders_90d"] = np.nan
    config = PropensityConfig()
    model = fit(snapshots, (snapshots["count_orders_after"] > 0).to_numpy(int), config)
    x = matrix(snapshots, config.features)
    p, contributions = model.explain(x, max_patterns=max_patterns)
    assert contributions.shape == (len(x), len(config.features) + 1)
    np.testing.assert_allclose(p, model.predict(x))
    np.testing.assert_allclose(contributions, model.contributions(x), atol=1e-12)
    # local accuracy: the contributions add up to the trees' raw score
    np.testing.assert_allclose(contributions.sum(axis=1), model.raw(x), atol=1e-12)


def test_too_few_positives_skip_with_a_reason_and_score_nobody():
    snapshots = synthetic_snapshots(400)
    snapshots["count_orders_after"] = 0
    snapshots.loc[snapshots.index[:10], "count_orders_after"] = 1
    config = PropensityConfig()
    quality = quality_table(snapshots, config, AS_OF).set_index("target")
    assert quality.loc["purchase", "status"] == "skipped"
    assert "0 positive and 400 negative" in quality.loc["purchase", "reason"]
    current = snapshots[snapshots["snapshot_number"] == 1]
    scores = scores_table(current, snapshots, config, AS_OF)
    assert "purchase" not in set(scores.column("target").to_pylist())


@pytest.mark.parametrize("snapshot", [1, 2])
def test_the_scores_skip_exactly_the_targets_the_quality_table_skips(snapshot):
    """The two marts decide apart (neither reads the other) and must agree: too few buyers in
    either snapshot skips purchase in both, and churn, fitted in both, is scored."""
    snapshots = synthetic_snapshots(400)
    thin = snapshots["snapshot_number"] == snapshot
    snapshots.loc[thin, "count_orders_after"] = 0
    snapshots.loc[snapshots.index[thin][:10], "count_orders_after"] = 1
    config = PropensityConfig()
    quality = quality_table(snapshots, config, AS_OF).set_index("target")["status"]
    current = snapshots[snapshots["snapshot_number"] == 1]
    scored = set(scores_table(current, snapshots, config, AS_OF).column("target").to_pylist())
    assert quality.to_dict() == {"purchase": "skipped", "churn": "fitted"}
    assert scored == {"churn"}


def test_scoring_in_chunks_equals_scoring_everyone_at_once():
    """scores_table explains a few persons at a time to bound its memory; the chunks must not
    show: same rows, order, p, percentiles and deciles, and the same drivers."""
    snapshots = synthetic_snapshots(1500)
    current = snapshots[snapshots["snapshot_number"] == 1].sample(frac=1.0, random_state=3)
    config = PropensityConfig()
    whole = scores_table(current, snapshots, config, AS_OF, chunk_rows=10**9).to_pandas()
    chunked = scores_table(current, snapshots, config, AS_OF, chunk_rows=97).to_pandas()
    assert len(whole) > 2 * 97 and set(whole["target"]) == {"purchase", "churn"}
    pd.testing.assert_frame_equal(chunked.drop(columns="top_drivers"),
                                  whole.drop(columns="top_drivers"))
    for ours, theirs in zip(chunked["top_drivers"], whole["top_drivers"], strict=True):
        assert [d["feature"] for d in ours] == [d["feature"] for d in theirs]
        np.testing.assert_allclose([d["contribution"] for d in ours],
                                   [d["contribution"] for d in theirs], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("target", ["purchase", "churn"])
def test_training_rows_are_the_population_in_user_order_then_sampled(target):
    snapshots = synthetic_snapshots(900).sample(frac=1.0, random_state=5)
    snapshots.loc[snapshots.index[::7], "last_activity_at"] = pd.NaT
    config = PropensityConfig(max_train_rows=300)
    rows, y = training_rows(snapshots, 2, target, config)
    expected = snapshots[snapshots["snapshot_number"] == 2]
    expected = expected[population(expected, target, config)]
    expected = sample_rows(expected.sort_values("user_id", kind="stable"), 300, config.seed)
    assert len(rows) == 300
    pd.testing.assert_frame_equal(rows, expected)
    assert len(y) == len(rows)


def test_a_bg_nbd_baseline_that_cannot_score_everyone_is_skipped(monkeypatch):
    from segmart.predict import clv
    from segmart.predict.propensity import _bg_nbd_expected

    frame = pd.DataFrame({"btyd_frequency": [0.0, 1.0, 2.0, np.nan],
                          "btyd_recency": [0.0, 5.0, 9.0, np.nan],
                          "btyd_t": [8.0, 20.0, 30.0, np.nan]})
    fitted = clv.BgNbdFit(r=1.7, alpha=93.0, a=0.5, b=2.0, log_likelihood=0.0, n=3,
                          status="fitted", reason=None)
    monkeypatch.setattr(clv, "fit_bg_nbd", lambda frequency, recency, t: fitted)
    expected, reason = _bg_nbd_expected(frame, 30)
    assert reason is None
    assert np.isfinite(expected).all() and expected[3] == 0

    scored = clv.bg_nbd_expected_orders

    def unscorable(fit, horizon, frequency, recency, t):
        scores = scored(fit, horizon, frequency, recency, t)
        scores[0] = np.nan
        return scores

    monkeypatch.setattr(clv, "bg_nbd_expected_orders", unscorable)
    expected, reason = _bg_nbd_expected(frame, 30)
    assert expected is None
    assert reason == "BG/NBD expected orders are not finite for 1 persons"


def test_empty_data_gives_skips_and_typed_empty_tables():
    empty = synthetic_snapshots(10).iloc[:0]
    config = PropensityConfig()
    quality = quality_table(empty, config, AS_OF)
    assert (quality["status"] == "skipped").all() and quality["reason"].notna().all()
    scores = scores_table(empty, empty, config, AS_OF)
    assert scores.num_rows == 0 and "top_drivers" in scores.schema.names
    looks = lookalike_table(empty, pd.DataFrame({"user_id": [], "seed_segment": []}),
                            config, AS_OF)
    with duckdb.connect() as con:  # dbt-duckdb must be able to create both tables
        for name, frame in {"scores": scores, "looks": looks, "quality": quality}.items():
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        assert con.execute("select count(*) from scores").fetchone()[0] == 0


def test_fit_is_deterministic_and_beats_chance():
    snapshots = synthetic_snapshots(3000)
    config = PropensityConfig()
    first = quality_table(snapshots, config, AS_OF)
    second = quality_table(snapshots, config, AS_OF)
    pd.testing.assert_frame_equal(first, second)
    purchase = first.set_index("target").loc["purchase"]
    assert purchase["status"] == "fitted" and purchase["auc"] > 0.6
    assert "BG/NBD baseline skipped" in purchase["reason"]


# --- a shop with a future -------------------------------------------------------------------

@pytest.fixture(scope="module")
def predictive(tmp_path_factory) -> Build:
    """3,000 persons, nine in ten buying and browsing as a BTYD process (no archetypes), the
    30 days after as_of known only to the ground truth; built up to the predictive segments."""
    work = tmp_path_factory.mktemp("predictive")
    raw_dir = work / "raw"
    cfg = Config(users=3000, seed=5, archetype_share=0.0, predictive_share=1.0,
                 background_rule_share=0.0)
    manifest = Generator(cfg, raw_dir, progress=False).run()
    db_path = work / "predictive.duckdb"
    select = ["+" + f"seg_{name}" for name in PREDICTIVE_SEGMENTS]
    result = run_dbt(["build", "--exclude-resource-type", "unit_test", "--select", *select,
                      "propensity_model_quality",
                      "--vars", json.dumps({"as_of": manifest["as_of"]})],
                     raw_dir, db_path, work)
    assert result.returncode == 0, result.stdout[-6000:]
    return Build(raw_dir=raw_dir, db_path=db_path, manifest=manifest, as_of=manifest["as_of"])


def _future(build: Build) -> pd.DataFrame:
    truth = pd.concat(pd.read_parquet(p) for p in
                      sorted((build.raw_dir / "_ground_truth").glob("*.parquet")))
    return truth[truth["orders_after_end"].notna()]


def test_quality_table_beats_the_recency_baseline(predictive):
    quality = predictive.frame(
        "select * from marts.propensity_model_quality").set_index("target")
    for target in ("purchase", "churn"):
        row = quality.loc[target]
        assert row["status"] == "fitted", row["reason"]
        assert row["auc"] > row["baseline_recency_auc"], (target, row["auc"])
        assert row["lift_top_decile"] > 1.5
        assert row["calibration_error"] < 0.1
        assert row["count_train"] > 1000 and row["count_validation"] > 1000
        assert row["train_snapshot_at"] < row["validation_snapshot_at"] < row["as_of"]


def test_scores_rank_what_really_happened_after_as_of(predictive):
    scores = predictive.frame("""
        select s.user_id, s.target, s.p, s.decile, s.top_drivers, f.recency_days
        from marts.propensity_scores as s
        inner join marts.user_features as f using (user_id)""")
    future = _future(predictive).set_index("user_id")
    for target, happened in (("purchase", future["orders_after_end"] > 0),
                             ("churn", ~future["is_active_after_end"].astype(bool))):
        rows = scores[scores["target"] == target].set_index("user_id").join(
            happened.rename("y"), how="inner")
        assert len(rows) > 1000
        y = rows["y"].astype(int)
        model_auc = roc_auc_score(y, rows["p"])
        recency_auc = roc_auc_score(y, -rows["recency_days"] if target == "purchase"
                                    else rows["recency_days"])
        assert model_auc > recency_auc, (target, model_auc, recency_auc)
        # calibrated: the mean probability is close to the observed rate
        assert abs(rows["p"].mean() - y.mean()) < 0.05, (target, rows["p"].mean(), y.mean())
        drivers = list(rows["top_drivers"].head(50))
        assert all(len(d) == 3 and {x["feature"] for x in d} <= set(DEFAULT_FEATURES)
                   for d in drivers)
        # largest first, by absolute contribution
        assert all(abs(d[0]["contribution"]) >= abs(d[2]["contribution"]) for d in drivers)


def test_predictive_segments_follow_their_thresholds(predictive):
    members = predictive.frame("select * from marts.seg_likely_buyers")
    top = predictive.query(
        "select count(*) from marts.propensity_scores where target = 'purchase' "
        "and decile = 10")[0][0]
    assert len(members) == top > 0
    churners = predictive.query("select count(*) from marts.seg_likely_churners")[0][0]
    assert churners > 0
    at_risk = predictive.frame("""
        select s.*, c.decile from marts.seg_high_value_at_risk as s
        left join marts.propensity_scores as c on c.user_id = s.user_id and c.target = 'churn'
    """)
    assert (at_risk["clv_decile"] >= 9).all()
    assert ((at_risk["p_alive"] < 0.5) | (at_risk["decile"] >= 9)).all()
    looks = predictive.frame("select * from marts.lookalike_scores")
    champions = {r[0] for r in predictive.query(
        "select user_id from marts.seg_rfm where segment = 'rfm_champions'")}
    assert champions and not champions & set(looks["user_id"])
    alike = predictive.frame("select * from marts.seg_lookalike_rfm_champions")
    assert len(alike) == (looks["similarity_percentile"] > 95).sum() > 0
    # the most alike non-members look more like champions than the rest do
    features = predictive.frame("select user_id, count_orders_lifetime from marts.user_features")
    orders = features.set_index("user_id")["count_orders_lifetime"]
    assert orders.loc[alike["user_id"]].mean() > orders.loc[looks["user_id"]].mean()


def test_rebuilding_gives_the_same_scores(predictive, tmp_path):
    before = predictive.frame("select * from marts.propensity_scores order by target, user_id")
    looks = predictive.frame("select * from marts.lookalike_scores order by user_id")
    # another fingerprint on the stored rows: the rebuild fits again rather than keep them
    with duckdb.connect(str(predictive.db_path)) as con:
        for table in ("propensity_model_quality", "propensity_scores", "lookalike_scores"):
            con.execute(f"update marts.{table} set inputs_fingerprint = 'stale'")
    result = run_dbt(["run", "--select", "propensity_model_quality", "propensity_scores",
                      "lookalike_scores", "--vars", json.dumps({"as_of": predictive.as_of})],
                     predictive.raw_dir, predictive.db_path, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    after = predictive.frame("select * from marts.propensity_scores order by target, user_id")
    pd.testing.assert_frame_equal(before, after)
    pd.testing.assert_frame_equal(
        looks, predictive.frame("select * from marts.lookalike_scores order by user_id"))


def test_a_rebuild_keeps_the_fits_of_unchanged_inputs_only(predictive, tmp_path):
    """The stored rows are kept while their inputs hash the same (segmart.reuse): a marker
    written into them survives a rebuild, and is gone once a var the fit reads changes."""
    db_path = tmp_path / "reuse.duckdb"
    shutil.copy(predictive.db_path, db_path)
    models = ["propensity_model_quality", "propensity_scores", "lookalike_scores"]
    queries = ("select reason from marts.propensity_model_quality",
               "select distinct percentile from marts.propensity_scores",
               "select distinct similarity_percentile from marts.lookalike_scores")

    def rebuild(select: list[str], **variables) -> tuple[set, set, set]:
        result = run_dbt(["run", "--select", *select, "--vars",
                          json.dumps({"as_of": predictive.as_of, **variables})],
                         predictive.raw_dir, db_path, tmp_path)
        assert result.returncode == 0, result.stdout[-4000:]
        with duckdb.connect(str(db_path), read_only=True) as con:
            return tuple({row[0] for row in con.execute(sql).fetchall()} for sql in queries)

    def mark(sql: str) -> None:
        with duckdb.connect(str(db_path)) as con:
            con.execute(sql)

    # the scores' inputs include the quality rows, so those are marked on their own
    mark("update marts.propensity_scores set percentile = 0.5")
    mark("update marts.lookalike_scores set similarity_percentile = 0.5")
    _, percentiles, similarities = rebuild(models)
    assert percentiles == {0.5} and similarities == {0.5}
    mark("update marts.propensity_model_quality set reason = 'marker'")
    reasons, _, _ = rebuild(["propensity_model_quality"])
    assert reasons == {"marker"}
    # the var that turns keeping off: computed again although nothing changed
    reasons, _, _ = rebuild(["propensity_model_quality"], segmart_keep_unchanged_fits=False)
    assert "marker" not in reasons

    reasons, percentiles, similarities = rebuild(models, segmart_propensity_max_train_rows=50000)
    assert "marker" not in reasons
    assert len(percentiles) > 10 and len(similarities) > 10


def test_events_after_a_snapshot_do_not_change_its_features(predictive, tmp_path):
    """Leakage: land events between the snapshots and as_of, among them some minutes after a
    snapshot for persons active just before it (their session then runs across it)."""
    raw_dir = tmp_path / "raw"
    shutil.copytree(predictive.raw_dir, raw_dir)
    db_path = tmp_path / "leak.duckdb"
    shutil.copy(predictive.db_path, db_path)
    query = """select * exclude (count_orders_after, count_activity_after)
               from marts.feature_snapshots order by snapshot_number, user_id"""
    with duckdb.connect(str(db_path), read_only=True) as con:
        before = con.execute(query).df()
        snapshot_times = [t[0] for t in con.execute(
            "select distinct as_of from marts.feature_snapshots order by 1").fetchall()]
        just_before = con.execute("""
            select e.user_id, s.as_of
            from intermediate.int_events_sessionized as e
            inner join (select distinct as_of from marts.feature_snapshots) as s
                on e.occurred_at > s.as_of - interval 20 minute and e.occurred_at <= s.as_of
            where e.user_id like 'u%'
        """).fetchall()
    assert just_before, "some persons are active in the minutes before a snapshot"
    events = pd.read_parquet(sorted((raw_dir / "events").glob("*.parquet"))[0])
    template = events[events["user_id"].notna()].iloc[0]
    people = [(u, t + pd.Timedelta(minutes=10)) for u, t in just_before]
    people += [(u, t + pd.Timedelta(days=3)) for u in before["user_id"].head(200)
               for t in snapshot_times]
    extra = pd.DataFrame([template] * len(people)).reset_index(drop=True)
    extra["event_id"] = [f"leak-{i}" for i in range(len(people))]
    extra["user_id"] = [u for u, _ in people]
    extra["occurred_at"] = [t for _, t in people]
    extra["event_type"] = "page_view"
    extra.to_parquet(raw_dir / "events" / "part-99999.parquet", index=False)
    result = run_dbt(["build", "--exclude-resource-type", "unit_test", "--select",
                      "+feature_snapshots", "--vars", json.dumps({"as_of": predictive.as_of})],
                     raw_dir, db_path, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    with duckdb.connect(str(db_path), read_only=True) as con:
        after = con.execute(query).df()
        landed = con.execute("select count(*) from staging.stg_tracking__events "
                             "where event_id like 'leak-%'").fetchone()[0]
    assert landed == len(people)
    pd.testing.assert_frame_equal(before, after)
