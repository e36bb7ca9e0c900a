"""segmart.clustering: preparation, the selection rule, algorithms, labels, determinism."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, homogeneity_score, silhouette_score

from segmart import clustering
from segmart.clustering import (
    ClusteringConfig,
    ClusteringError,
    assign_clusters,
    choose_k,
    final_labels,
    label_clusters,
    match_previous,
    prepare,
    profile_clusters,
    select_model,
    silhouettes,
)

FEATURES = ("f0", "f1", "f2")


CORNERS = np.array([[-8, -8, -8], [8, 8, -8], [-8, 8, 8], [8, -8, 8], [0, 0, 0]], float)


def blobs(n=1200, centers=4, seed=0, spread=0.6) -> tuple[pd.DataFrame, np.ndarray]:
    """n points around `centers` well separated corners of a cube."""
    x, y = make_blobs(n_samples=n, centers=CORNERS[:centers], n_features=3,
                      cluster_std=spread, random_state=seed)
    frame = pd.DataFrame(x, columns=list(FEATURES))
    frame.insert(0, "user_id", [f"u{i:05d}" for i in range(n)])
    return frame, y


def config(**overrides) -> ClusteringConfig:
    """Blobs have no lifecycle columns: one stage, ``all``, unless a test asks for stages."""
    return ClusteringConfig(**{"features": FEATURES, "log_features": (), "k_min": 2,
                               "k_max": 6, "lifecycle_stages": False, **overrides})


# -- the selection rule -------------------------------------------------------------------

def _candidates(stability, shares):
    k = list(range(1, len(stability) + 1))
    return pd.DataFrame({"k": k, "min_stability": stability, "smallest_cluster_share": shares})


def test_rule_takes_the_most_clusters_that_are_all_stable_and_big_enough():
    candidates = _candidates([1.0, 0.99, 0.60, 0.90, 0.95, 0.80],
                             [1.0, 0.40, 0.20, 0.10, 0.005, 0.02])
    k, reason, verdicts = choose_k(candidates, 0.01, 0.75)
    assert k == 6  # 5 has a cluster below 1 %; 3 has an unstable one
    assert "most clusters with every cluster stable (Jaccard >= 0.75)" in reason
    assert verdicts == ["a split qualifies", "qualifies, but fewer clusters",
                        "a cluster is unstable (Jaccard 0.60)", "qualifies, but fewer clusters",
                        "a cluster is too small (0.5%)", reason]


def test_rule_keeps_one_cluster_when_no_split_qualifies():
    candidates = _candidates([1.0, 0.70, 0.74], [1.0, 0.30, 0.20])
    k, reason, verdicts = choose_k(candidates, 0.01, 0.75)
    assert k == 1 and reason.startswith("one cluster: no split")
    assert verdicts[0] == reason


def test_rule_at_the_exact_edges_qualifies():
    candidates = _candidates([1.0, 0.75], [1.0, 0.01])
    assert choose_k(candidates, 0.01, 0.75)[0] == 2


def test_stability_is_high_for_real_clusters_and_low_for_a_split_of_noise():
    frame, _ = blobs(n=900, centers=3, spread=0.5)
    cfg = config()
    matrix = prepare(frame, cfg).matrix
    labels, _, _ = clustering._fit_predict(matrix, "kmeans", 3, cfg, 1)
    assert clustering.cluster_stability(matrix, labels, 3, cfg).min() > 0.95
    noise = np.random.default_rng(0).uniform(size=(900, 3))
    labels, _, _ = clustering._fit_predict(noise, "kmeans", 9, cfg, 1)
    assert clustering.cluster_stability(noise, labels, 9, cfg).min() < 0.75


def test_selection_on_four_blobs_finds_four():
    frame, truth = blobs(centers=4)
    cfg = config()
    selection = select_model(prepare(frame, cfg), cfg)
    assert selection.chosen == {"all": 4}
    table = selection.candidates
    assert list(table["k"]) == [1, 2, 3, 4, 5, 6]
    assert table["is_chosen"].sum() == 1
    split = table[table["k"] > 1]
    assert split[["silhouette", "davies_bouldin", "calinski_harabasz"]].notna().all().all()
    # splitting a blob in two is not reproduced by refits on subsamples
    assert (split.loc[split["k"] > 4, "min_stability"] < 0.75).all()
    assignment = assign_clusters(prepare(frame, cfg), selection.chosen_k, cfg)
    assert adjusted_rand_score(truth, assignment.frame["cluster_index"]) > 0.99


def test_silhouette_is_scored_on_a_bounded_sample():
    frame, _ = blobs(n=3000, centers=3)
    cfg = config(silhouette_sample_size=500, k_max=3)
    selection = select_model(prepare(frame, cfg), cfg)
    assert set(selection.candidates.query("k > 1")["sample_size"]) == {500}


def test_candidates_are_fitted_on_the_selection_sample_and_the_choice_on_everyone(monkeypatch):
    frame, _ = blobs(n=3000, centers=3)
    cfg = config(selection_sample_size=800, silhouette_sample_size=300, k_max=4)
    fitted: list[tuple[int, int | None]] = []
    fit_predict = clustering._fit_predict

    def recording(matrix, *args):
        fitted.append((len(matrix), args[3] if len(args) > 3 else None))
        return fit_predict(matrix, *args)

    monkeypatch.setattr(clustering, "_fit_predict", recording)
    selection = select_model(prepare(frame, cfg), cfg)
    # k = 2, 3, 4 on the selection sample, each started twice (selection_n_init), each
    # followed by its stability refits on subsamples of 80 %
    assert fitted == [(800, 2), *[(640, 2)] * 5] * 3
    assert set(selection.candidates.query("k > 1")["sample_size"]) == {300}
    assert selection.chosen_k == 3
    assign_clusters(prepare(frame, cfg), selection.chosen_k, cfg)
    assert fitted[-1] == (3000, None)  # the final fit: everyone, the default starts


def test_fits_run_on_one_openmp_thread(monkeypatch):
    """k-means sums its threads' partial results in the order they finish: with several
    threads the same data could give other clusters from one build to the next."""
    from threadpoolctl import threadpool_info

    seen: list[int] = []
    fit = clustering._fit_predict_one_thread

    def recording(*args):
        seen.extend(pool["num_threads"] for pool in threadpool_info()
                    if pool["user_api"] == "openmp")
        return fit(*args)

    monkeypatch.setattr(clustering, "_fit_predict_one_thread", recording)
    frame, _ = blobs(n=600, centers=3)
    cfg = config(k_max=3)
    selection = select_model(prepare(frame, cfg), cfg)
    assign_clusters(prepare(frame, cfg), selection.chosen_k, cfg)
    assert seen and set(seen) == {1}


# -- algorithms -----------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "agglomerative", "hdbscan", "dbscan"])
def test_every_algorithm_separates_clear_blobs(algorithm):
    frame, truth = blobs(n=900, centers=3, spread=0.4)
    cfg = config(algorithm=algorithm, k_min=3, k_max=3, fit_sample_size=400,
                 min_cluster_size=30, dbscan_eps=0.4)
    prepared = prepare(frame, cfg)
    selection = select_model(prepared, cfg)
    assignment = assign_clusters(prepared, selection.chosen_k, cfg)
    assert adjusted_rand_score(truth, assignment.frame["cluster_index"]) > 0.95
    probabilities = assignment.frame["membership_probability"]
    if algorithm == "gmm":
        assert probabilities.between(0, 1).all()
    else:
        assert probabilities.isna().all()
        assert (assignment.frame["distance_to_centroid"] >= 0).all()


def test_minibatch_above_the_threshold_gives_the_same_partition():
    frame, truth = blobs(n=2000, centers=3, spread=0.4)
    cfg = config(k_min=3, k_max=3, minibatch_threshold=1000)
    assignment = assign_clusters(prepare(frame, cfg), 3, cfg)
    assert adjusted_rand_score(truth, assignment.frame["cluster_index"]) > 0.99


def test_same_data_and_config_give_the_same_clusters():
    frame, _ = blobs()
    cfg = config()
    runs = []
    for _ in range(2):
        prepared = prepare(frame, cfg)
        selection = select_model(prepared, cfg)
        runs.append((selection.candidates, assign_clusters(prepared, selection.chosen_k,
                                                           cfg).frame))
    pd.testing.assert_frame_equal(runs[0][0], runs[1][0])
    pd.testing.assert_frame_equal(runs[0][1], runs[1][1])


def test_clusters_are_numbered_by_size():
    frame, _ = blobs(n=1000, centers=3)
    cfg = config()
    frame_out = assign_clusters(prepare(frame, cfg), 3, cfg).frame
    sizes = frame_out["cluster_index"].value_counts().sort_index().to_numpy()
    assert (np.diff(sizes) <= 0).all()


# -- preparation and clear errors ----------------------------------------------------------

def test_heavy_tailed_features_are_log_transformed_then_standardised():
    frame = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "f0": [0, 9, 99, 999],
                          "f1": [1.0, 2.0, 3.0, 4.0], "f2": [None, 1.0, 0.0, 1.0]})
    prepared = prepare(frame, config(log_features=("f0",)))
    expected = np.log1p([0, 9, 99, 999])
    expected = (expected - expected.mean()) / expected.std()
    np.testing.assert_allclose(prepared.matrix[:, 0], expected)
    np.testing.assert_allclose(prepared.matrix.mean(axis=0), 0, atol=1e-12)
    assert prepared.original["f2"].tolist() == [0.0, 1.0, 0.0, 1.0]


@pytest.mark.parametrize(("settings", "message"), [
    ({"k_min": 5, "k_max": 3}, "k_min (5) is greater than k_max (3)"),
    ({"k_min": 1}, "k_min must be at least 2"),
    ({"algorithm": "spectral"}, "clustering algorithm must be one of"),
    ({"stability_threshold": 1.5}, "stability_threshold must be in [0, 1)"),
    ({"min_cluster_share": -0.1}, "min_cluster_share must be in [0, 1)"),
    ({"stability_resamples": 1}, "stability_resamples must be at least 2, got 1"),
    ({"lifecycle_stages": "maybe"}, "lifecycle_stages must be true or false"),
    ({"colour": "blue"}, "unknown clustering setting(s) ['colour']"),
    ({"selection_sample_size": 50}, "selection_sample_size must be at least 100, got 50"),
    ({"selection_n_init": 0}, "selection_n_init must be at least 1, got 0"),
    ({"features": ["f0"], "log_features": ["f1"]}, "log_features ['f1'] are not among"),
])
def test_bad_configuration_says_what_to_fix(settings, message):
    with pytest.raises(ClusteringError) as error:
        ClusteringConfig.from_mapping(settings)
    assert message in str(error.value)


def test_a_missing_feature_is_named():
    frame, _ = blobs(n=50)
    with pytest.raises(ClusteringError, match=r"feature\(s\) \['f9'\] are not columns"):
        prepare(frame, config(features=("f0", "f9")))


def test_a_constant_feature_is_left_out_with_a_warning():
    frame, _ = blobs(n=300, centers=3)
    frame["f1"] = 3.0
    prepared = prepare(frame, config())
    assert prepared.features == ("f0", "f2") and prepared.dropped == ("f1",)
    assert prepared.matrix.shape == (300, 2)
    selection = select_model(prepared, config())
    assert set(selection.candidates["warning"]) == {
        "constant over the eligible persons, left out of the clustering: f1"}


def test_no_dropped_feature_stores_a_null_warning_as_text():
    frame, _ = blobs(n=300, centers=3)
    candidates = select_model(prepare(frame, config()), config()).candidates
    assert candidates["warning"].isna().all()
    assert duckdb.sql("select warning from candidates").types == ["VARCHAR"]


def test_fewer_than_two_varying_features_is_an_error():
    frame, _ = blobs(n=50)
    frame[["f1", "f2"]] = 3.0
    with pytest.raises(ClusteringError, match=r"only 1 of the clustering features vary .*"
                                              r"\['f1', 'f2'\]"):
        prepare(frame, config())


def test_too_few_eligible_persons():
    frame, _ = blobs(n=2)
    cfg = config(k_max=8)
    with pytest.raises(ClusteringError, match="only 2 eligible person"):
        select_model(prepare(frame, cfg), cfg)


def test_a_stage_too_small_to_split_is_one_cluster():
    frame, _ = blobs(n=150, centers=3)
    cfg = config(min_cluster_share=0.6)  # two clusters of 60 % would need 180 persons
    selection = select_model(prepare(frame, cfg), cfg)
    assert selection.chosen == {"all": 1}
    assert list(selection.candidates["k"]) == [1]


def test_config_from_dbt_accepts_comma_separated_features():
    cfg = ClusteringConfig.from_mapping({"features": "f0, f1", "log_features": "f1",
                                         "k_max": "4"})
    assert cfg.features == ("f0", "f1") and cfg.log_features == ("f1",) and cfg.k_max == 4


# -- labels and profiles ----------------------------------------------------------------------

def test_labels_come_from_dominant_traits_and_are_unique():
    features = ("recency_days", "total_revenue_90d", "share_sessions_evening_30d")
    centroids = np.array([[2.0, -0.5, 0.0],    # long since last activity
                          [-0.5, 1.8, 0.1],    # spends a lot
                          [-0.4, -0.3, 1.5],   # browses in the evening
                          [-0.3, 1.5, 0.2],    # spends a lot too: next trait
                          [0.05, 0.1, -0.1]])  # nothing stands out
    labels = label_clusters(centroids, features)
    assert labels[0] == "Dormant"
    assert labels[1] == "High-value buyers"
    assert labels[2] == "Evening browsers"
    assert labels[4] == "Average customers"
    assert len(set(labels)) == len(labels)


def test_labels_follow_their_clusters_across_rebuilds():
    features = ("recency_days", "total_revenue_90d")
    previous = np.array([[2.0, -0.5], [-0.5, 1.8]])
    previous_labels = ["Dormant", "Whales (renamed by hand)"]
    # the rebuild finds the same clusters, in the other order and slightly moved
    current = np.array([[-0.45, 1.7], [1.9, -0.4], [0.0, 0.0]])
    assert match_previous(current, previous, previous_labels) == [
        "Whales (renamed by hand)", "Dormant", None]
    labels = final_labels(current, features, previous, previous_labels)
    assert labels[:2] == ["Whales (renamed by hand)", "Dormant"]
    assert labels[2] not in labels[:2]


def test_profiles_in_original_units_and_z_scores():
    frame, _ = blobs(n=600, centers=3)
    cfg = config()
    prepared = prepare(frame, cfg)
    assignment = assign_clusters(prepared, 3, cfg)
    clusters = assignment.frame.rename(columns={"cluster_index": "cluster_id"})
    clusters["cluster_label"] = [f"c{c}" for c in clusters["cluster_id"]]
    profiles = profile_clusters(prepared, clusters)
    assert len(profiles) == 3 * len(FEATURES)
    sizes = profiles.drop_duplicates("cluster_id")
    assert sizes["count_members"].sum() == 600
    assert sizes["share_of_eligible"].sum() == pytest.approx(1.0)
    first = profiles[(profiles["cluster_id"] == 0) & (profiles["feature"] == "f0")].iloc[0]
    members = clusters["cluster_id"] == 0
    assert first["mean_value"] == pytest.approx(frame.loc[members, "f0"].mean())
    np.testing.assert_allclose(
        profiles.pivot(index="cluster_id", columns="feature", values="mean_z").to_numpy(),
        assignment.centroids, atol=1e-6)


def test_required_columns_names_a_misspelt_feature_before_reading():
    from segmart.clustering import required_columns

    assert required_columns(["user_id", "as_of", "f0", "f1", "f2", "other"], config()) == [
        "user_id", "as_of", "f0", "f1", "f2"]
    with pytest.raises(ClusteringError, match=r"\['f2'\] are not columns"):
        required_columns(["user_id", "f0", "f1"], config())


def test_row_order_of_the_input_does_not_matter():
    frame, _ = blobs(n=800, centers=3)
    cfg = config(k_max=4)
    shuffled = frame.sample(frac=1.0, random_state=3)
    results = []
    for data in (frame, shuffled):
        prepared = prepare(data, cfg)
        selection = select_model(prepared, cfg)
        results.append((selection.candidates,
                        assign_clusters(prepared, selection.chosen_k, cfg).frame))
    pd.testing.assert_frame_equal(results[0][0], results[1][0])
    pd.testing.assert_frame_equal(results[0][1], results[1][1])


def test_silhouettes_equal_sklearn_for_every_labelling():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1500, 6))
    labellings = [rng.integers(0, k, len(x)) for k in (2, 3, 8)]
    alone = labellings[0].copy()
    alone[17] = 99  # a cluster of one point scores 0, as in sklearn
    labellings.append(alone)
    ours = silhouettes(x, labellings, chunk=400)  # chunks that do not divide n
    expected = [silhouette_score(x, labels) for labels in labellings]
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)
    assert silhouettes(x, []) == []


# -- lifecycle stages -------------------------------------------------------------------------

def staged_frame(seed=0) -> pd.DataFrame:
    """300 dormant persons, 600 browsers in two evening/daytime groups, 900 buyers in three
    groups apart in recency, evening share and spend."""
    rng = np.random.default_rng(seed)
    parts = []

    def part(n, recency, orders, evening, spend):
        parts.append(pd.DataFrame({
            "recency_days": rng.normal(recency, 2, n).clip(0),
            "count_orders_90d": np.full(n, orders, float),
            "share_sessions_evening_30d": rng.normal(evening, 0.05, n).clip(0, 1),
            "total_revenue_90d": rng.normal(spend, spend / 20, n).clip(0),
        }))
    part(300, 60, 0, 0.0, 0)
    part(300, 5, 0, 0.9, 0)
    part(300, 5, 0, 0.1, 0)
    for recency, evening, spend in ((3, 0.1, 20), (9, 0.3, 200), (15, 0.5, 2000)):
        part(300, recency, 2, evening, spend)
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "user_id", [f"u{i:05d}" for i in range(len(frame))])
    return frame


STAGED = ("recency_days", "count_orders_90d", "share_sessions_evening_30d", "total_revenue_90d")


def test_lifecycle_stages_from_recency_and_recent_orders():
    frame = pd.DataFrame({"recency_days": [29, 30, None, 3, 3],
                          "count_orders_90d": [0, 5, 0, 1, 0]})
    stages = clustering.lifecycle_stages(frame, config(lifecycle_stages=True))
    assert list(stages) == ["browsers", "dormant", "dormant", "buyers", "browsers"]
    assert set(clustering.lifecycle_stages(frame, config())) == {"all"}


def test_stages_are_clustered_apart_and_the_dormant_stage_stays_whole():
    frame = staged_frame()
    cfg = config(features=STAGED, log_features=("total_revenue_90d",), lifecycle_stages=True)
    prepared = prepare(frame, cfg)
    selection = select_model(prepared, cfg)
    # stable splits of a compact group may split it further: the groups are never mixed
    assert selection.chosen["dormant"] == 1
    assert selection.chosen["browsers"] >= 2 and selection.chosen["buyers"] >= 3
    assert selection.candidates.groupby("stage")["is_chosen"].sum().to_dict() == {
        "browsers": 1, "buyers": 1, "dormant": 1}
    clusters = clustering.clusters_table(prepared, clustering.chosen_per_stage(
        selection.candidates), cfg, (None, None, None), None)
    truth = np.repeat(np.arange(6), 300)
    assert homogeneity_score(truth, clusters["cluster_id"]) > 0.99
    labels = clusters.drop_duplicates("cluster_id").set_index("lifecycle_stage")
    assert labels.loc["dormant", "cluster_label"] == "Dormant"
    by_stage = clusters.groupby("lifecycle_stage")["cluster_label"].unique()
    assert "Browsers: evening browsers" in by_stage["browsers"]
    assert "Buyers: high-value buyers" in by_stage["buyers"]
    assert all(label.startswith("Buyers: ") for label in by_stage["buyers"])


def test_cluster_dormant_splits_the_dormant_stage_too():
    frame = staged_frame()
    frame.loc[:149, "total_revenue_90d"] = 500.0  # two kinds of dormant person
    frame.loc[:149, "recency_days"] = 45.0
    cfg = config(features=STAGED, lifecycle_stages=True, cluster_dormant=True)
    assert select_model(prepare(frame, cfg), cfg).chosen["dormant"] >= 2


def test_stage_columns_are_read_even_when_not_features():
    cfg = config(features=("f0", "f1"), lifecycle_stages=True)
    assert clustering.required_columns(
        ["user_id", "as_of", "f0", "f1", "recency_days", "count_orders_90d"], cfg) == [
        "user_id", "as_of", "recency_days", "count_orders_90d", "f0", "f1"]
    with pytest.raises(ClusteringError, match="lifecycle stages need the column"):
        clustering.required_columns(["user_id", "f0", "f1"], cfg)


def test_stage_labels_say_what_sets_a_cluster_apart_in_its_stage():
    features = ("recency_days", "share_orders_morning_90d")
    labels = label_clusters(np.zeros((4, 2)), features,
                            stages=["buyers", "buyers", "dormant", "buyers"],
                            stage_centroids=np.array([[0.1, 0.2], [0.0, 2.5], [0, 0],
                                                      [1.2, -0.1]]))
    assert labels == ["Buyers: typical", "Buyers: morning buyers", "Dormant",
                      "Buyers: lapsing"]
