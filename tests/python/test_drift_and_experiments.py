"""PSI against hand-computed values; the z-test and interval against scipy and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from segmart.drift import bin_shares, flag, psi, quantile_edges
from segmart.experiments import two_proportion_test


def test_psi_of_hand_computed_shares():
    expected = [0.25, 0.25, 0.25, 0.25]
    actual = [0.10, 0.20, 0.30, 0.40]
    by_hand = ((0.10 - 0.25) * math.log(0.10 / 0.25) + (0.20 - 0.25) * math.log(0.20 / 0.25)
               + (0.30 - 0.25) * math.log(0.30 / 0.25) + (0.40 - 0.25) * math.log(0.40 / 0.25))
    assert psi(expected, actual) == pytest.approx(by_hand)
    assert psi(expected, actual) == pytest.approx(0.2282, abs=1e-4)


def test_psi_is_zero_for_the_same_distribution_and_symmetric_in_sign():
    shares = [0.1, 0.2, 0.3, 0.4]
    assert psi(shares, shares) == 0
    assert psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(psi([0.6, 0.4], [0.5, 0.5]))


def test_empty_bin_is_guarded_not_infinite():
    value = psi([0.5, 0.5, 0.0], [0.4, 0.4, 0.2])
    by_hand = (2 * (0.4 - 0.5) * math.log(0.4 / 0.5)) + (0.2 - 1e-4) * math.log(0.2 / 1e-4)
    assert value == pytest.approx(by_hand)
    assert math.isfinite(value)


def test_quantile_bins_and_shares():
    reference = np.arange(1, 101, dtype=float)
    edges = quantile_edges(reference, bins=4)
    np.testing.assert_allclose(edges, [25.75, 50.5, 75.25])
    np.testing.assert_allclose(bin_shares(reference, edges), [0.25] * 4)
    assert len(quantile_edges(np.zeros(50))) == 1  # ties collapse into fewer bins


def test_flags_at_the_thresholds():
    assert [flag(v) for v in (0.0, 0.0999, 0.1, 0.2499, 0.25, float("nan"), None)] == [
        "stable", "stable", "watch", "watch", "act", "no_reference", "no_reference"]


@pytest.mark.parametrize(("ct", "nt", "cc", "nc"), [
    (120, 1000, 90, 1000), (30, 400, 30, 380), (500, 9000, 40, 1000), (0, 200, 3, 150)])
def test_two_proportion_test_matches_statsmodels_and_scipy(ct, nt, cc, nc):
    statsmodels = pytest.importorskip("statsmodels.stats.proportion")
    result = two_proportion_test(ct, nt, cc, nc)
    z, p = statsmodels.proportions_ztest([ct, cc], [nt, nc])
    assert result.z_score == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    low, high = statsmodels.confint_proportions_2indep(ct, nt, cc, nc, method="wald")
    assert result.ci_low == pytest.approx(low, rel=1e-9)
    assert result.ci_high == pytest.approx(high, rel=1e-9)
    assert result.absolute_lift == pytest.approx(ct / nt - cc / nc)
    assert stats.norm.sf(abs(result.z_score)) * 2 == pytest.approx(result.p_value, rel=1e-9)


def test_small_groups_withhold_the_test():
    result = two_proportion_test(5, 50, 2, 40, min_sample=100)
    assert not result.has_min_sample
    assert result.p_value is None and result.ci_low is None
    assert result.rate_treatment == 0.1 and result.rate_control == 0.05
    assert result.relative_lift == pytest.approx(1.0)


def test_drift_reference_is_the_previous_build_or_n_days_back():
    import pandas as pd

    from segmart.drift import drift_table

    history = pd.DataFrame([
        # two older builds with the same bins: 50 % at or below 1.0, 50 % above
        {"as_of": pd.Timestamp(day), "feature": "x", "bin_number": n,
         "upper_edge": 1.0 if n == 0 else None, "share": 0.5}
        for day in ("2025-01-01", "2025-01-09") for n in (0, 1)
    ] + [{"as_of": pd.Timestamp("2025-01-10"), "feature": "x", "bin_number": 0,
          "upper_edge": 5.0, "share": 1.0}])
    current = pd.DataFrame({"as_of": pd.Timestamp("2025-01-10"), "x": [0.0, 0.5, 2.0, 3.0]})
    previous = drift_table(current, history, ["x"], reference_days=0, clustering_features=["x"])
    assert previous.loc[0, "reference_as_of"] == pd.Timestamp("2025-01-09")
    assert previous.loc[0, "psi"] == pytest.approx(0.0)
    assert previous.loc[0, "drift_flag"] == "stable"
    week = drift_table(current, history, ["x"], reference_days=7)
    assert week.loc[0, "reference_as_of"] == pd.Timestamp("2025-01-01")
    none = drift_table(current, history, ["x"], reference_days=30)
    assert none.loc[0, "drift_flag"] == "no_reference" and pd.isna(none.loc[0, "psi"])
