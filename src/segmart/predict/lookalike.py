"""Lookalikes: how much each non-member of a seed segment resembles its members
(docs/propensity.md, "Lookalikes").

Per seed, a classifier of seed members against everyone else (the propensity model's
gradient-boosted trees on the same user_features columns, calibrated). Non-members are
scored cross-fitted: they are split in two halves by a hash of user_id, and each half is
scored by the model trained on the seed and the other half, so no non-member is scored by a
model that saw them as a negative. The similarity is that calibrated probability of being a
member; its percentile is among the seed's non-members.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmart.predict.propensity import (
    PropensityConfig,
    check_features,
    fit,
    matrix,
    sample_rows,
    share_at_or_below,
    stable_hash,
)

COLUMNS = ("seed_segment", "user_id", "similarity", "similarity_percentile", "as_of")


def lookalike_table(features: pd.DataFrame, seeds: pd.DataFrame, config: PropensityConfig,
                    as_of) -> pd.DataFrame:
    """One row per (seed segment, non-member with some activity); a seed with fewer than
    min_class_rows members (or non-members) has no rows."""
    check_features(features.columns, config)
    people = features[features["last_activity_at"].notna()].sort_values(
        "user_id", kind="stable").reset_index(drop=True)
    parts = []
    for seed in sorted(seeds["seed_segment"].unique()):
        is_member = people["user_id"].isin(
            seeds.loc[seeds["seed_segment"] == seed, "user_id"]).to_numpy()
        if min(is_member.sum(), (~is_member).sum()) < config.min_class_rows:
            continue
        half = stable_hash(people["user_id"], config.seed + 1) % 2
        similarity = np.full(len(people), np.nan)
        for scored_half in (0, 1):
            negatives = people[~is_member & (half != scored_half)]
            negatives = sample_rows(negatives, config.max_train_rows, config.seed)
            train = pd.concat([people[is_member], negatives])
            y = np.r_[np.ones(int(is_member.sum()), int), np.zeros(len(negatives), int)]
            model = fit(train, y, config)
            target = ~is_member & (half == scored_half)
            similarity[target] = model.predict(matrix(people[target], config.features))
        scored = ~is_member
        values = similarity[scored]
        parts.append(pd.DataFrame({
            "seed_segment": seed,
            "user_id": people.loc[scored, "user_id"].to_numpy(),
            "similarity": values,
            "similarity_percentile": share_at_or_below(values),
            "as_of": as_of,
        }))
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in (
            ("seed_segment", "object"), ("user_id", "object"), ("similarity", "float64"),
            ("similarity_percentile", "float64"), ("as_of", "datetime64[us]"))})
    return pd.concat(parts, ignore_index=True)[list(COLUMNS)]
