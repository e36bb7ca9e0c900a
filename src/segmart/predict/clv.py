"""Customer value by buy-till-you-die models: BG/NBD for purchase counts, Gamma-Gamma for spend.

Maximum-likelihood fits in numpy/scipy (docs/decisions/0006-clv-models-in-numpy-scipy.md) on
the `btyd_*` summary of `user_features`, which follows lifetimes' convention with time in
days: frequency = order days after the first, recency = days from the first to the last order
day, t = days from the first order day to the as_of date, monetary value = mean revenue of the
order days after the first (0 when there is none).

The likelihoods are those of Fader, Hardie and Lee (2005, BG/NBD; Hardie's note 025 for
Gamma-Gamma), evaluated in log space with gammaln, the conditional expectations as in
lifetimes (hyp2f1, with Euler's transformation when it overflows). Fits run on the distinct
(frequency, recency, t) patterns weighted by their counts, so the same data always give the
same parameters, whatever the row order. A model that cannot be fitted on the data is
returned with status 'skipped' and a reason, never an exception; its predictions are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

from segmart.relations import to_pandas

FITTED = "fitted"
SKIPPED = "skipped"
DEFAULT_MIN_REPEAT_BUYERS = 100
# a maximum-likelihood fit has converged when the largest gradient component of the mean
# log-likelihood (in log parameters) is below this
GRADIENT_TOLERANCE = 1e-6
# when the likelihood has no interior maximum, parameters (time scaled to the longest t = 1,
# spend to mean 1) are kept within e^-8 .. e^8, where scipy's hyp2f1 stays finite
LOG_BOUND = 8.0
# the farthest log parameter BFGS may try before falling back to the box above
SEARCH_LIMIT = 50.0

FEATURE_COLUMNS = ("user_id", "as_of", "btyd_frequency", "btyd_recency", "btyd_t",
                   "btyd_monetary_value")
FIT_COLUMNS = ("model", "status", "r", "alpha", "a", "b", "p", "q", "v", "log_likelihood",
               "count_persons", "reason", "as_of")
VALUE_COLUMNS = ("user_id", "as_of", "is_repeat_buyer", "p_alive", "expected_orders_30d",
                 "expected_orders_90d", "expected_orders_365d", "expected_order_value",
                 "clv_365d", "clv_decile")


@dataclass(frozen=True)
class BgNbdFit:
    """A BG/NBD fit: purchase rate ~ Gamma(shape r, rate alpha per day), dropout probability
    after each repeat purchase ~ Beta(a, b). Parameters are None when the model was skipped;
    a fitted model has a reason when its likelihood has no interior maximum and the
    parameters sit at the edge of the allowed range."""

    r: float | None
    alpha: float | None
    a: float | None
    b: float | None
    log_likelihood: float | None
    n: int
    status: str
    reason: str | None = None

    @property
    def is_fitted(self) -> bool:
        return self.status == FITTED


@dataclass(frozen=True)
class GammaGammaFit:
    """A Gamma-Gamma fit of the mean spend of repeat buyers: spend per order ~ Gamma(p, nu),
    nu ~ Gamma(shape q, rate v); the population's mean spend is p v / (q - 1), so q <= 1 is
    skipped, keeping the parameters for the record. Parameters are None when the model was
    skipped before fitting; a fitted model has a reason when they sit at the edge."""

    p: float | None
    q: float | None
    v: float | None
    log_likelihood: float | None
    n: int
    status: str
    reason: str | None = None

    @property
    def is_fitted(self) -> bool:
        return self.status == FITTED


@dataclass(frozen=True)
class ClvConfig:
    """Settings of the customer-value models (config `clv` of the predictions models, from the
    vars segmart_clv_min_repeat_buyers and segmart_clv_annual_discount_rate)."""

    min_repeat_buyers: int = DEFAULT_MIN_REPEAT_BUYERS
    annual_discount_rate: float = 0.0
    horizon_days: int = 365
    discount_periods: int = 12

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> ClvConfig:
        """From a dbt config dict; dbt may render numbers as strings."""
        mapping = dict(mapping or {})
        unknown = set(mapping) - {"min_repeat_buyers", "annual_discount_rate"}
        if unknown:
            raise ValueError(f"unknown clv setting(s) {sorted(unknown)}")
        config = cls(
            min_repeat_buyers=int(mapping.get("min_repeat_buyers", DEFAULT_MIN_REPEAT_BUYERS)),
            annual_discount_rate=float(mapping.get("annual_discount_rate", 0.0)),
        )
        if config.min_repeat_buyers < 1:
            raise ValueError("clv min_repeat_buyers must be at least 1")
        if not 0 <= config.annual_discount_rate < 1:
            raise ValueError("clv annual_discount_rate must be in [0, 1)")
        return config


# --- inputs -------------------------------------------------------------------------------


def _summary_arrays(frequency, recency, t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    age = np.asarray(t, dtype=float)
    if not x.shape == tx.shape == age.shape or x.ndim != 1:
        raise ValueError("frequency, recency and t must be 1-d arrays of one length")
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(age).all()):
        raise ValueError("frequency, recency and t must be finite (drop persons without orders)")
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("frequency must be a whole number >= 0")
    if (tx < 0).any() or (tx > age).any():
        raise ValueError("recency must lie in [0, t]")
    if ((x == 0) & (tx > 0)).any():
        raise ValueError("recency must be 0 when frequency is 0")
    return x, tx, age


def _patterns(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The distinct rows of the columns in sorted order, their counts, and each input row's
    index into them."""
    if len(columns[0]) == 0:
        return [c[:0] for c in columns], np.zeros(0), np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(columns)})
    grouped = frame.groupby(list(frame.columns), sort=True)
    inverse = grouped.ngroup().to_numpy()
    sizes = grouped.size()
    keys = [sizes.index.get_level_values(i).to_numpy(dtype=float)
            for i in range(len(columns))] if len(columns) > 1 else \
        [sizes.index.to_numpy(dtype=float)]
    return keys, sizes.to_numpy(dtype=float), inverse


# --- BG/NBD -------------------------------------------------------------------------------


class _Distinct:
    """Values as an index into their distinct values, so a term that depends on one column
    alone (gammaln and digamma of the frequency, log of alpha + t) is computed once per
    distinct value."""

    def __init__(self, values: np.ndarray):
        self.values, self.index = np.unique(values, return_inverse=True)

    def spread(self, per_value: np.ndarray) -> np.ndarray:
        return per_value[self.index]


def _bg_nbd_terms(r, alpha, a, b, counts: _Distinct, tx: _Distinct, age: _Distinct,
                  gradient: bool):
    """Per-pattern log-likelihood (and its gradient in r, alpha, a, b): log of
    exp(a3) + exp(a4) as a3 + softplus(a4 - a3), a4 only for repeat buyers."""
    ux = counts.values
    x = counts.spread(ux)
    bx1 = b + np.maximum(ux, 1) - 1
    a12 = counts.spread(gammaln(r + ux) - gammaln(r) + r * math.log(alpha) + gammaln(a + b)
                        + gammaln(b + ux) - gammaln(b) - gammaln(a + b + ux))
    log_age = age.spread(np.log(alpha + age.values))
    log_tx = tx.spread(np.log(alpha + tx.values))
    a3 = -(r + x) * log_age
    difference = np.where(x > 0, math.log(a) - counts.spread(np.log(bx1))
                          - (r + x) * (log_tx - log_age), -np.inf)
    ll = a12 + a3 + np.logaddexp(0.0, difference)
    if not gradient:
        return ll, None
    w4 = expit(difference)
    w3 = 1 - w4
    d_r = (counts.spread(digamma(r + ux) - digamma(r) + math.log(alpha))
           - w3 * log_age - w4 * log_tx)
    d_alpha = r / alpha - (r + x) * (w3 * age.spread(1 / (alpha + age.values))
                                     + w4 * tx.spread(1 / (alpha + tx.values)))
    d_a = counts.spread(digamma(a + b) - digamma(a + b + ux)) + w4 / a
    d_b = (counts.spread(digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux))
           - w4 * counts.spread(1 / bx1))
    return ll, (d_r, d_alpha, d_a, d_b)


def _maximise(objective, x0: np.ndarray
              ) -> tuple[np.ndarray | None, dict[int, str], str | None]:
    """Maximum of a mean log-likelihood in log parameters: by BFGS, and when that finds no
    interior maximum, over the box |log parameter| <= LOG_BOUND by L-BFGS-B. Returns the log
    parameters, the ones at a bound ({index: 'low' | 'high'}), and a reason instead when it
    does not converge."""
    def guarded(log_params):
        # BFGS's line search may step far out (e^-800 is 0 in floating point, whose log
        # raises); such a point is no maximum, and L-BFGS-B below searches within bounds
        if not np.max(np.abs(log_params)) <= SEARCH_LIMIT:
            return np.inf, np.zeros_like(log_params)
        return objective(log_params)

    with np.errstate(all="ignore"):
        result = minimize(guarded, x0, jac=True, method="BFGS",
                          options={"gtol": 1e-10, "maxiter": 2000})
        if np.all(np.isfinite(result.x)) and np.max(np.abs(result.x)) < LOG_BOUND:
            value, grad = objective(result.x)
            # BFGS reports a loss of precision at a gtol this tight; the gradient decides
            if np.isfinite(value) and np.max(np.abs(grad)) <= GRADIENT_TOLERANCE:
                return result.x, {}, None
        # the likelihood may rise towards the edge of the parameter space (no finite MLE)
        result = minimize(objective, x0, jac=True, method="L-BFGS-B",
                          bounds=[(-LOG_BOUND, LOG_BOUND)] * len(x0),
                          options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000})
        value, grad = objective(result.x)
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        return None, {}, "the likelihood is not finite at the optimum"
    low = result.x <= -LOG_BOUND + 1e-6
    high = result.x >= LOG_BOUND - 1e-6
    free = ~(low | high)
    largest = float(np.max(np.abs(grad[free]), initial=0.0))
    if largest > GRADIENT_TOLERANCE:
        return None, {}, (f"did not converge ({result.message.strip().rstrip('.')}; largest "
                          f"gradient {largest:.1e})")
    bounds = {int(i): "low" for i in np.flatnonzero(low)}
    bounds.update({int(i): "high" for i in np.flatnonzero(high)})
    return result.x, bounds, None


def _edge_reason(names: tuple[str, ...], bounds: dict[int, str], meaning: str) -> str:
    sides = ", ".join(f"{names[i]} {side}" for i, side in sorted(bounds.items()))
    return (f"no finite maximum-likelihood estimate: the likelihood rises towards the edge of "
            f"the parameter space ({sides}; fitted at e^{LOG_BOUND:g} of the scaled units), "
            f"{meaning}")


def fit_bg_nbd(frequency, recency, t, *,
               min_repeat_buyers: int = DEFAULT_MIN_REPEAT_BUYERS) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit (lifetimes' BetaGeoFitter with penalizer_coef=0).

    frequency, recency, t: one value per person in days, lifetimes' summary convention
    (user_features' btyd_frequency, btyd_recency, btyd_t). Skipped with a reason when there
    are fewer than min_repeat_buyers persons with frequency > 0, no observation time, or the
    optimiser does not converge. alpha is per day; log_likelihood is the sum over persons.
    """
    x, tx, age = _summary_arrays(frequency, recency, t)
    n = len(x)
    repeat_buyers = int((x > 0).sum())

    def skipped(reason: str) -> BgNbdFit:
        return BgNbdFit(None, None, None, None, None, n, SKIPPED, reason)

    if n == 0:
        return skipped("no persons with a completed order")
    if repeat_buyers < min_repeat_buyers:
        return skipped(f"{repeat_buyers} repeat buyers, fewer than the "
                       f"{min_repeat_buyers} needed (segmart_clv_min_repeat_buyers)")
    if age.max() <= 0:
        return skipped("no observation time: every first order is on the as_of date")
    (px, ptx, page), weights, _ = _patterns(x, tx, age)
    # time scaled so the longest t is 1, as lifetimes does: alpha then starts near 1
    scale = 1.0 / page.max()
    stx, sage = ptx * scale, page * scale
    total = weights.sum()
    counts, tx_days, age_days = _Distinct(px), _Distinct(stx), _Distinct(sage)

    def objective(log_params):
        params = np.exp(log_params)
        ll, grad = _bg_nbd_terms(*params, counts, tx_days, age_days, gradient=True)
        return -(weights @ ll) / total, -np.array([weights @ g for g in grad]) / total * params

    log_params, bounds, reason = _maximise(objective, np.full(4, 0.1))
    if log_params is None:
        return skipped(f"BG/NBD {reason}")
    r, alpha, a, b = np.exp(log_params)
    alpha = alpha / scale
    ll, _ = _bg_nbd_terms(r, alpha, a, b, counts, _Distinct(ptx), _Distinct(page),
                          gradient=False)
    if bounds:
        meaning = []
        if bounds.get(2) == "low" or bounds.get(3) == "high":
            meaning.append("no dropout is seen (a / (a + b) near 0)")
        if bounds.get(0) == "high":
            meaning.append(f"purchase rates hardly differ between persons (about "
                           f"{r / alpha:.3g} order days per day each)")
        reason = _edge_reason(("r", "alpha", "a", "b"), bounds,
                              " and ".join(meaning) or "read the parameters with care")
    fit = BgNbdFit(float(r), float(alpha), float(a), float(b), float(weights @ ll), n, FITTED,
                   reason)
    if bounds and not np.all(np.isfinite(
            _expected_orders_patterns(fit, 365.0, px, ptx, page))):
        return skipped(f"{reason}; its predictions are not finite")
    return fit


def _p_alive_patterns(fit: BgNbdFit, x, tx, age) -> np.ndarray:
    log_ratio = (math.log(fit.a) - np.log(fit.b + np.maximum(x, 1) - 1)
                 + (fit.r + x) * np.log((fit.alpha + age) / (fit.alpha + tx)))
    return np.where(x > 0, expit(-log_ratio), 1.0)


def _expected_orders_patterns(fit: BgNbdFit, horizon: float, x, tx, age) -> np.ndarray:
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    hyp_a, hyp_b, hyp_c = r + x, b + x, a + b + x - 1
    z = horizon / (alpha + age + horizon)
    with np.errstate(all="ignore"):
        hyp = hyp2f1(hyp_a, hyp_b, hyp_c, z)
        # Euler's transformation where the series overflows
        hyp_alt = hyp2f1(hyp_c - hyp_a, hyp_c - hyp_b, hyp_c, z)
        ln_hyp = np.log(np.abs(hyp))
        ln_hyp_alt = np.log(np.abs(hyp_alt)) + (hyp_c - hyp_a - hyp_b) * np.log1p(-z)
        use_alt = ~np.isfinite(ln_hyp)
        ln_hyp = np.where(use_alt, ln_hyp_alt, ln_hyp)
        # with a + b + x < 1 the third parameter is negative and the function can be too, so
        # its log is taken of the magnitude and the sign is kept
        negative = np.where(use_alt, hyp_alt, hyp) < 0
        first = (a + b + x - 1) / (a - 1)
        scaled = ln_hyp + (r + x) * np.log((alpha + age) / (alpha + age + horizon))
        second = np.where(negative, 1 + np.exp(scaled), -np.expm1(scaled))
        expected = first * second * _p_alive_patterns(fit, x, tx, age)
    return np.where(np.isfinite(expected), expected, np.nan)


def _per_person(fit, function, frequency, recency, t, *args) -> np.ndarray:
    x, tx, age = _summary_arrays(frequency, recency, t)
    if not fit.is_fitted:
        return np.full(len(x), np.nan)
    (px, ptx, page), _, inverse = _patterns(x, tx, age)
    return function(fit, *args, px, ptx, page)[inverse]


def bg_nbd_expected_orders(fit: BgNbdFit, horizon_days: float, frequency, recency, t
                           ) -> np.ndarray:
    """Expected completed-order days in the next horizon_days, given each person's history
    (lifetimes' conditional_expected_number_of_purchases_up_to_time); NaN when skipped."""
    return _per_person(fit, _expected_orders_patterns, frequency, recency, t,
                       float(horizon_days))


def bg_nbd_p_alive(fit: BgNbdFit, frequency, recency, t) -> np.ndarray:
    """Probability that each person is still a customer at as_of (lifetimes'
    conditional_probability_alive; 1 for persons without a repeat purchase, who cannot have
    dropped out under BG/NBD); NaN when skipped."""
    return _per_person(fit, _p_alive_patterns, frequency, recency, t)


# --- Gamma-Gamma --------------------------------------------------------------------------


def _gamma_gamma_terms(p, q, v, counts: _Distinct, m, log_m, gradient: bool):
    """Per-person log-likelihood (and its gradient in p, q, v); log_m = log(m)."""
    ux = counts.values
    x = counts.spread(ux)
    px = p * x
    log_xm_v = np.log(x * m + v)
    ll = (counts.spread(gammaln(p * ux + q) - gammaln(p * ux) - gammaln(q) + q * math.log(v)
                        + p * ux * np.log(ux))
          + (px - 1) * log_m - (px + q) * log_xm_v)
    if not gradient:
        return ll, None
    d_p = x * (counts.spread(digamma(p * ux + q) - digamma(p * ux) + np.log(ux)) + log_m
               - log_xm_v)
    d_q = counts.spread(digamma(p * ux + q) - digamma(q) + math.log(v)) - log_xm_v
    d_v = q / v - (px + q) / (x * m + v)
    return ll, (d_p, d_q, d_v)


def fit_gamma_gamma(frequency, monetary_value, *,
                    min_repeat_buyers: int = DEFAULT_MIN_REPEAT_BUYERS) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit (lifetimes' GammaGammaFitter, penalizer_coef=0) on
    the repeat buyers (frequency > 0) with a positive monetary value.

    Skipped with a reason when there are fewer than min_repeat_buyers of them, when the
    optimiser does not converge, or when q <= 1 (the population's mean spend p v / (q - 1)
    does not exist; the parameters are kept for the record). log_likelihood is the sum over
    the persons fitted, in the money's units.
    """
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if x.shape != m.shape or x.ndim != 1:
        raise ValueError("frequency and monetary_value must be 1-d arrays of one length")
    use = (x > 0) & np.isfinite(m) & (m > 0)
    n = int(use.sum())

    def skipped(reason: str, params=(None, None, None), ll=None) -> GammaGammaFit:
        return GammaGammaFit(*params, ll, n, SKIPPED, reason)

    if n < min_repeat_buyers:
        return skipped(f"{n} repeat buyers with spend, fewer than the {min_repeat_buyers} "
                       "needed (segmart_clv_min_repeat_buyers)")
    (px, pm), weights, _ = _patterns(x[use], m[use])
    # spend scaled to mean 1 for the optimiser; v scales with it
    scale = float(np.average(pm, weights=weights))
    sm = pm / scale
    log_sm = np.log(sm)
    total = weights.sum()
    counts = _Distinct(px)

    def objective(log_params):
        params = np.exp(log_params)
        ll, grad = _gamma_gamma_terms(*params, counts, sm, log_sm, gradient=True)
        return -(weights @ ll) / total, -np.array([weights @ g for g in grad]) / total * params

    log_params, bounds, reason = _maximise(objective, np.full(3, 0.1))
    if log_params is None:
        return skipped(f"Gamma-Gamma {reason}")
    p, q, v = np.exp(log_params)
    v = v * scale
    ll, _ = _gamma_gamma_terms(p, q, v, counts, pm, np.log(pm), gradient=False)
    params, ll = (float(p), float(q), float(v)), float(weights @ ll)
    if q <= 1:
        return skipped(f"q = {q:.3g} <= 1: the mean spend p v / (q - 1) is undefined "
                       "(heavy-tailed spend)", params, ll)
    if bounds:
        meaning = []
        if bounds.get(0) == "high":
            meaning.append("a person's spend hardly varies between their orders")
        if bounds.get(1) == "high":
            meaning.append("mean spend hardly differs between persons")
        reason = _edge_reason(("p", "q", "v"), bounds,
                              " and ".join(meaning) or "read the parameters with care")
    return GammaGammaFit(*params, ll, n, FITTED, reason)


def gamma_gamma_expected_value(fit: GammaGammaFit, frequency, monetary_value) -> np.ndarray:
    """Expected revenue per future order day (lifetimes' conditional_expected_average_profit):
    each person's mean spend shrunk towards the population's mean p v / (q - 1), by less the
    more orders they have; the population's mean for persons without a repeat purchase. NaN
    when skipped."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if not fit.is_fitted:
        return np.full(len(x), np.nan)
    individual = fit.p * x / (fit.p * x + fit.q - 1)
    population = fit.v * fit.p / (fit.q - 1)
    return (1 - individual) * population + individual * np.where(x > 0, m, 0.0)


# --- customer value -----------------------------------------------------------------------


def customer_lifetime_value(bg: BgNbdFit, gg: GammaGammaFit, frequency, recency, t,
                            monetary_value, horizon_days: float = 365,
                            annual_discount_rate: float = 0.0, periods: int = 12
                            ) -> np.ndarray:
    """Expected revenue over the next horizon_days: expected order value times expected
    orders. With a discount rate, the horizon is cut into `periods` equal periods and each
    period's expected orders are discounted from its end at (1 + rate)^(days / 365), like
    lifetimes' customer_lifetime_value; rate 0 is undiscounted. NaN when either model is
    skipped."""
    value = gamma_gamma_expected_value(gg, frequency, monetary_value)
    if not (bg.is_fitted and gg.is_fitted):
        return np.full(len(value), np.nan)
    x, tx, age = _summary_arrays(frequency, recency, t)
    (px, ptx, page), _, inverse = _patterns(x, tx, age)
    if annual_discount_rate == 0:
        orders = _expected_orders_patterns(bg, float(horizon_days), px, ptx, page)
    else:
        ends = np.arange(1, periods + 1) * (float(horizon_days) / periods)
        cumulative = [np.zeros(len(px))] + [
            _expected_orders_patterns(bg, end, px, ptx, page) for end in ends]
        orders = sum((cumulative[k + 1] - cumulative[k])
                     / (1 + annual_discount_rate) ** (ends[k] / 365.0)
                     for k in range(periods))
    return value * orders[inverse]


def value_deciles(values) -> np.ndarray:
    """1-10 by rank among the non-null values, 10 the highest: 1 + floor(10 (rank - 1) / n)
    with rank the lowest rank of a tie group, so equal values share a decile (as the RFM
    scores do); NaN stays NaN."""
    series = pd.Series(np.asarray(values, dtype=float))
    known = series.notna()
    ranks = series[known].rank(method="min")
    deciles = pd.Series(np.nan, index=series.index)
    deciles[known] = 1 + np.floor(10 * (ranks - 1) / known.sum())
    return deciles.to_numpy()


# --- the marts ----------------------------------------------------------------------------



def features_frame(features_relation) -> pd.DataFrame:
    """The columns of user_features (a DuckDB relation) the models read."""
    return to_pandas(features_relation.project(", ".join(FEATURE_COLUMNS)))


def _buyers(features: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in FEATURE_COLUMNS if c not in features.columns]
    if missing:
        raise ValueError(f"user_features lacks the column(s) {missing}")
    buyers = features[features["btyd_frequency"].notna()]
    return buyers.sort_values("user_id", kind="stable").reset_index(drop=True)


def _as_of(features: pd.DataFrame):
    return features["as_of"].max() if len(features) else pd.NaT


def fit_models(features: pd.DataFrame, config: ClvConfig) -> tuple[BgNbdFit, GammaGammaFit]:
    """Both fits on user_features' persons with a completed order."""
    buyers = _buyers(features)
    bg = fit_bg_nbd(buyers["btyd_frequency"], buyers["btyd_recency"], buyers["btyd_t"],
                    min_repeat_buyers=config.min_repeat_buyers)
    gg = fit_gamma_gamma(buyers["btyd_frequency"], buyers["btyd_monetary_value"],
                         min_repeat_buyers=config.min_repeat_buyers)
    return bg, gg


def clv_model_fit_table(features: pd.DataFrame, config: ClvConfig) -> pd.DataFrame:
    """clv_model_fit: one row per model (bg_nbd, gamma_gamma) for this build."""
    return fits_to_table(*fit_models(features, config), _as_of(features))


def fits_to_table(bg: BgNbdFit, gg: GammaGammaFit, as_of) -> pd.DataFrame:
    """The two fits as clv_model_fit rows."""
    rows = [
        {"model": "bg_nbd", "status": bg.status, "r": bg.r, "alpha": bg.alpha, "a": bg.a,
         "b": bg.b, "log_likelihood": bg.log_likelihood, "count_persons": bg.n,
         "reason": bg.reason},
        {"model": "gamma_gamma", "status": gg.status, "p": gg.p, "q": gg.q, "v": gg.v,
         "log_likelihood": gg.log_likelihood, "count_persons": gg.n, "reason": gg.reason},
    ]
    table = pd.DataFrame(rows, columns=list(FIT_COLUMNS))
    for column in ("r", "alpha", "a", "b", "p", "q", "v", "log_likelihood"):
        table[column] = table[column].astype("float64")
    table["count_persons"] = table["count_persons"].astype("int64")
    table["reason"] = table["reason"].astype("object")
    table["as_of"] = pd.Series([as_of, as_of], dtype="datetime64[us]")
    return table


def fits_from_table(table: pd.DataFrame) -> tuple[BgNbdFit, GammaGammaFit]:
    """The two fits back from clv_model_fit rows (what customer_value scores with)."""
    rows = {row["model"]: row for row in table.to_dict("records")}

    def value(row, name):
        item = row.get(name)
        return None if item is None or pd.isna(item) else float(item)

    def reason(row):
        item = row.get("reason")
        return None if item is None or pd.isna(item) else str(item)

    bg_row, gg_row = rows["bg_nbd"], rows["gamma_gamma"]
    bg = BgNbdFit(*(value(bg_row, k) for k in ("r", "alpha", "a", "b", "log_likelihood")),
                  int(bg_row["count_persons"]), bg_row["status"], reason(bg_row))
    gg = GammaGammaFit(*(value(gg_row, k) for k in ("p", "q", "v", "log_likelihood")),
                       int(gg_row["count_persons"]), gg_row["status"], reason(gg_row))
    return bg, gg


def customer_value_from_fits(features: pd.DataFrame, bg: BgNbdFit, gg: GammaGammaFit,
                             config: ClvConfig) -> pd.DataFrame:
    """customer_value: one row per person with a completed order, scored with the fits."""
    buyers = _buyers(features)
    x = buyers["btyd_frequency"].to_numpy(dtype=float)
    tx = buyers["btyd_recency"].to_numpy(dtype=float)
    age = buyers["btyd_t"].to_numpy(dtype=float)
    m = buyers["btyd_monetary_value"].to_numpy(dtype=float)
    clv = customer_lifetime_value(bg, gg, x, tx, age, m, config.horizon_days,
                                  config.annual_discount_rate, config.discount_periods)
    table = pd.DataFrame({
        "user_id": buyers["user_id"],
        "as_of": pd.Series(buyers["as_of"]).astype("datetime64[us]"),
        "is_repeat_buyer": x > 0,
        "p_alive": bg_nbd_p_alive(bg, x, tx, age),
        "expected_orders_30d": bg_nbd_expected_orders(bg, 30, x, tx, age),
        "expected_orders_90d": bg_nbd_expected_orders(bg, 90, x, tx, age),
        "expected_orders_365d": bg_nbd_expected_orders(bg, 365, x, tx, age),
        "expected_order_value": gamma_gamma_expected_value(gg, x, m),
        "clv_365d": clv,
    })
    table["clv_decile"] = pd.array(value_deciles(clv), dtype="Int64")
    return table[list(VALUE_COLUMNS)]


def customer_value_table(features: pd.DataFrame, config: ClvConfig
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit and score in one call: (customer_value, clv_model_fit)."""
    bg, gg = fit_models(features, config)
    fits = fits_to_table(bg, gg, _as_of(features))
    return customer_value_from_fits(features, bg, gg, config), fits
