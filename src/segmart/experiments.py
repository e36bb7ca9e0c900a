"""Treatment vs control conversion: lift, a two-proportion z-test and a confidence interval.

Pure Python (math only), so the dbt model needs no statistics package; pytest checks it
against scipy and statsmodels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LiftResult:
    rate_treatment: float | None
    rate_control: float | None
    absolute_lift: float | None
    relative_lift: float | None
    z_score: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    has_min_sample: bool


def _normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def two_proportion_test(conversions_treatment: int, n_treatment: int,
                        conversions_control: int, n_control: int,
                        min_sample: int = 100, confidence: float = 0.95) -> LiftResult:
    """Compare conversion in treatment and control.

    The z-test uses the pooled proportion (two-sided p-value); the confidence interval is
    the unpooled Wald interval of the difference in rates. Below ``min_sample`` persons in
    either group the test and interval are withheld (None) and ``has_min_sample`` is False.
    """
    for name, value in (("n_treatment", n_treatment), ("n_control", n_control)):
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    rate_t = conversions_treatment / n_treatment if n_treatment else None
    rate_c = conversions_control / n_control if n_control else None
    absolute = rate_t - rate_c if rate_t is not None and rate_c is not None else None
    relative = absolute / rate_c if absolute is not None and rate_c else None
    enough = n_treatment >= min_sample and n_control >= min_sample
    if not enough or absolute is None:
        return LiftResult(rate_t, rate_c, absolute, relative, None, None, None, None, enough)
    pooled = (conversions_treatment + conversions_control) / (n_treatment + n_control)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_treatment + 1 / n_control))
    if se_pooled == 0:
        z, p = 0.0, 1.0
    else:
        z = absolute / se_pooled
        p = min(1.0, 2 * _normal_sf(abs(z)))
    se = math.sqrt(rate_t * (1 - rate_t) / n_treatment + rate_c * (1 - rate_c) / n_control)
    quantile = _normal_quantile(1 - (1 - confidence) / 2)
    return LiftResult(rate_t, rate_c, absolute, relative, z, p,
                      absolute - quantile * se, absolute + quantile * se, enough)


def _normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF (bisection on erfc; exact to 1e-12)."""
    low, high = -10.0, 10.0
    for _ in range(200):
        mid = (low + high) / 2
        if 1 - _normal_sf(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def results_table(holdouts, outcomes, min_sample: int = 100):
    """Per segment: persons and conversions by group, rates, lift, test and interval.

    ``holdouts`` has segment, user_id and holdout_group ('control'/'treatment'); ``outcomes``
    has segment and user_id of each conversion.
    """
    import pandas as pd

    converted = outcomes[["segment", "user_id"]].drop_duplicates().assign(converted=1)
    joined = holdouts.merge(converted, on=["segment", "user_id"], how="left")
    joined["converted"] = joined["converted"].fillna(0).astype(int)
    rows = []
    for segment, group in joined.groupby("segment", sort=True):
        treatment = group[group["holdout_group"] == "treatment"]
        control = group[group["holdout_group"] == "control"]
        result = two_proportion_test(int(treatment["converted"].sum()), len(treatment),
                                     int(control["converted"].sum()), len(control),
                                     min_sample=min_sample)
        rows.append({
            "segment": segment,
            "count_treatment": len(treatment),
            "count_control": len(control),
            "conversions_treatment": int(treatment["converted"].sum()),
            "conversions_control": int(control["converted"].sum()),
            "conversion_rate_treatment": result.rate_treatment,
            "conversion_rate_control": result.rate_control,
            "absolute_lift": result.absolute_lift,
            "relative_lift": result.relative_lift,
            "z_score": result.z_score,
            "p_value": result.p_value,
            "ci_low": result.ci_low,
            "ci_high": result.ci_high,
            "has_min_sample": result.has_min_sample,
        })
    columns = ["segment", "count_treatment", "count_control", "conversions_treatment",
               "conversions_control", "conversion_rate_treatment", "conversion_rate_control",
               "absolute_lift", "relative_lift", "z_score", "p_value", "ci_low", "ci_high",
               "has_min_sample"]
    return pd.DataFrame(rows, columns=columns)
