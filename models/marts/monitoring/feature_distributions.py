"""One row per watched feature or score and bin: this build's decile bins and their shares."""

from segmart.clustering import to_pandas
from segmart.drift import bin_shares, quantile_edges, with_scores


def model(dbt, session):
    import pandas as pd

    features = dbt.config.get("drift_features")
    frame = to_pandas(dbt.ref("user_features").project(
        ", ".join(["user_id", "as_of", *features])))
    frame, scores = with_scores(
        frame, to_pandas(dbt.ref("propensity_scores").project("user_id, target, p")))
    rows = []
    for feature in [*features, *scores]:
        values = frame[feature].astype("float64").fillna(0).to_numpy()
        edges = quantile_edges(values)
        for number, share in enumerate(bin_shares(values, edges)):
            rows.append({"feature": feature, "bin_number": number,
                         "upper_edge": float(edges[number]) if number < len(edges) else None,
                         "share": float(share)})
    distributions = pd.DataFrame(rows, columns=["feature", "bin_number", "upper_edge", "share"])
    distributions["as_of"] = frame["as_of"].max()
    return distributions
