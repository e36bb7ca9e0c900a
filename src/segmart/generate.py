"""Generate a realistic raw landing zone for segmart, with planted archetypes.

    python -m segmart.generate --users 20000 --days 120 --seed 7 --out data/raw

writes the four landing tables of the raw contract as Parquet part files
(``events/``, ``orders/``, ``customers/``, ``deletion_requests/``) and, beside them,
``_ground_truth/`` (which archetype each person was planted as and which segments the
rules should put them in), ``_ground_truth/crm_identities/`` (which person each CRM record
belongs to: planted duplicates and near-misses, see ``generate_identities``) and
``_ground_truth/manifest.json`` (row counts, planted duplicates and bad rows, the ``as_of``
to evaluate at).

Behaviour is generated per session and fully vectorised with numpy; persons are processed
in chunks, so memory stays bounded whatever ``--users`` is. The same arguments always give
the same files.

Every planted archetype is built so that exactly its rule (as described in the project's
docs/segments.md) holds for it at ``as_of``, with margins of at least an hour around every
window edge. Background customers behave as real ones do: by default a share of them
(``background_rule_share``) lapse, leave a cart behind, are new or have a busy week, and so
fall into rules the way ordinary customers do; with ``background_rule_share=0`` no rule
holds for any background person, which is the setting rule precision is measured on. A
small share of order lines are free items (price zero), as gifts and samples are in real
shops.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from segmart.generate_contacts import contact_columns
from segmart.generate_identities import (
    CITIES,
    DUPLICATE_KINDS,
    NEAR_MISS_KINDS,
    identity_records,
)
from segmart.holdouts import is_control

DEFAULT_END = "2025-01-01T00:00:00"

#: IANA zone, country, weight. Kolkata (+05:30) and Adelaide (+09:30/+10:30) give
#: half-hour offsets; New York, London, Berlin and Adelaide have daylight saving time.
TIME_ZONES: tuple[tuple[str, str, float], ...] = (
    ("Europe/London", "GB", 0.24),
    ("America/New_York", "US", 0.18),
    ("America/Los_Angeles", "US", 0.10),
    ("Europe/Berlin", "DE", 0.14),
    ("Asia/Kolkata", "IN", 0.10),
    ("Australia/Adelaide", "AU", 0.06),
    ("Asia/Tokyo", "JP", 0.10),
    ("America/Sao_Paulo", "BR", 0.08),
)
UNKNOWN_TIME_ZONE = "Mars/Olympus_Mons"

#: Planted archetypes, and the segments each one must land in.
ARCHETYPE_SEGMENTS: dict[str, tuple[str, ...]] = {
    "morning_buyer": ("frequent_morning_buyers",),
    "cart_abandoner": ("cart_abandoners",),
    "high_value_cart_abandoner": ("cart_abandoners", "high_value_cart_abandoners"),
    "high_intent": ("cart_abandoners", "high_intent"),
    "dormant": ("dormant_users",),
    "highly_active": ("highly_active_users",),
    "evening_browser": ("infrequent_evening_browsers",),
    "repeat_viewer": ("repeat_product_viewers",),
    "new_user": ("new_users",),
    "churner": ("churn_risk",),
    "high_value_buyer": (),
}
#: Background persons: ``regular`` customers and anonymous-only ``visitor`` browsers.
BACKGROUND = ("regular", "visitor")
ARCHETYPES: tuple[str, ...] = BACKGROUND + tuple(ARCHETYPE_SEGMENTS)

EVENT_TYPES = (
    "page_view", "search", "product_view", "add_to_cart", "begin_checkout", "purchase",
)
DEVICE_TYPES = np.array(["mobile", "desktop", "tablet"])
EVENT_BAD_KINDS = (
    "missing_event_id", "missing_identity", "blocked_identity", "unknown_event_type",
    "missing_occurred_at", "negative_price", "invalid_quantity", "occurred_in_future",
)
ORDER_BAD_KINDS = (
    "missing_order_id", "missing_user_id", "invalid_quantity", "negative_unit_price",
    "unknown_status", "duplicate_order_line",
)
N_PRODUCTS = 2000
N_CATEGORIES = 12

# Local hours (float) used by the schedules; every purchase lands well inside its band.
DAYTIME = (10.0, 16.5)
MORNING = (6.0, 8.2)
EVENING = (18.0, 21.8)


@dataclass(frozen=True)
class Config:
    """What to generate. ``end`` is the ``as_of`` the archetypes are planted for."""

    users: int = 2000
    days: int = 120
    seed: int = 7
    end: datetime = field(default_factory=lambda: datetime.fromisoformat(DEFAULT_END))
    archetype_share: float = 0.04
    visitor_share: float = 0.10
    duplicate_rate: float = 0.01
    bad_rate: float = 0.002
    customer_duplicate_rate: float = 0.02
    unknown_time_zone_rate: float = 0.01
    deletion_rate: float = 0.002
    late_rate: float = 0.002
    #: share of regular customers who drift into a rule, a quarter each: they lapse (nothing
    #: in the last 35 days), leave a cart, are new (first seen in the last days) or have a
    #: busy week (five or six sessions)
    background_rule_share: float = 0.2
    #: share of order lines given away at price zero (gifts, samples, 100 %-off coupons)
    free_item_rate: float = 0.01
    #: share of the other regular customers (those not drifting into a rule) who buy and
    #: browse as a buy-till-you-die process (each with
    #: their own purchase rate and a chance to drop out after every purchase), simulated
    #: ``future_days`` past the end: what they do after it goes only to the ground truth
    #: (orders_after_end, is_active_after_end), so the propensity models can be checked
    predictive_share: float = 0.3
    future_days: int = 30
    #: share of the customers not erased who get one more CRM record under a new user_id
    #: (a case variant of the e-mail, a typo with the same phone, a guest checkout or a
    #: shop migration), and the share who get a near-miss (a namesake elsewhere or a family
    #: member at the same address) that must stay a person of its own; neither has events
    crm_duplicate_share: float = 0.03
    crm_near_miss_share: float = 0.02
    chunk_users: int = 25_000

    def validate(self) -> None:
        """Raise ``ValueError`` with a readable message for impossible settings."""
        if self.users < 1:
            raise ValueError("--users must be at least 1")
        if self.days < 40:
            raise ValueError("--days must be at least 40 (dormant persons are planted 35 "
                             "or more days before the end)")
        for name in ("duplicate_rate", "bad_rate", "customer_duplicate_rate", "late_rate",
                     "unknown_time_zone_rate", "deletion_rate", "visitor_share",
                     "background_rule_share", "free_item_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1), got {value}")
        planted = self.archetype_share * len(ARCHETYPE_SEGMENTS) + self.visitor_share
        if not 0.0 <= planted <= 0.9:
            raise ValueError(
                "--archetype-share times the number of archetypes plus --visitor-share "
                f"must stay at or below 0.9, got {planted:.2f}"
            )
        for name in ("predictive_share", "crm_duplicate_share", "crm_near_miss_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1], got {value}")
        if self.future_days < 1:
            raise ValueError("--future-days must be at least 1")
        if self.chunk_users < 100:
            raise ValueError("--chunk-users must be at least 100")


@dataclass
class Catalog:
    """Products with a category and a unit price; cheap and expensive subsets."""

    product_ids: pa.Array
    categories: pa.Array
    prices: np.ndarray
    cheap: np.ndarray
    expensive: np.ndarray

    @classmethod
    def build(cls, rng: np.random.Generator) -> Catalog:
        prices = np.round(np.exp(rng.normal(3.0, 0.8, N_PRODUCTS)), 2)
        prices = np.clip(prices, 1.0, 900.0)
        category_idx = rng.integers(0, N_CATEGORIES, N_PRODUCTS)
        return cls(
            product_ids=_prefixed("p", np.arange(N_PRODUCTS), 5),
            categories=_prefixed("cat_", category_idx, 2),
            prices=prices,
            cheap=np.flatnonzero(prices < 40.0),
            expensive=np.flatnonzero(prices >= 120.0),
        )


def _prefixed(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded string ids (``u00000042``) built with Arrow kernels, fast for millions."""
    digits = pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


@dataclass
class Sessions:
    """One entry per planned session (columnar)."""

    user: list[np.ndarray] = field(default_factory=list)
    start: list[np.ndarray] = field(default_factory=list)  # datetime64[us], UTC
    intent: list[np.ndarray] = field(default_factory=list)  # 0 browse, 1 abandon, 2 buy
    product: list[np.ndarray] = field(default_factory=list)  # focus product index
    focus_views: list[np.ndarray] = field(default_factory=list)
    quantity: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)  # 0 completed, 1 cancelled, 2 refunded

    def add(self, user, start, intent, product, focus_views=None, quantity=None, status=None):
        n = len(user)
        self.user.append(np.asarray(user, np.int64))
        self.start.append(start)
        self.intent.append(np.broadcast_to(np.asarray(intent, np.int8), (n,)).copy())
        self.product.append(np.asarray(product, np.int64))
        self.focus_views.append(np.ones(n, np.int64) if focus_views is None
                                else np.broadcast_to(focus_views, (n,)).astype(np.int64))
        self.quantity.append(np.ones(n, np.int64) if quantity is None
                             else np.broadcast_to(quantity, (n,)).astype(np.int64))
        self.status.append(np.zeros(n, np.int8) if status is None
                           else np.broadcast_to(status, (n,)).astype(np.int8))

    def concat(self) -> dict[str, np.ndarray]:
        cols = {k: np.concatenate(getattr(self, k)) for k in
                ("user", "start", "intent", "product", "focus_views", "quantity", "status")}
        order = np.lexsort((cols["start"], cols["user"]))
        return {k: v[order] for k, v in cols.items()}


class ChunkPlanner:
    """Plans the sessions of one chunk of persons."""

    def __init__(self, cfg: Config, rng: np.random.Generator, catalog: Catalog,
                 tz_idx: np.ndarray):
        self.cfg = cfg
        self.rng = rng
        self.catalog = catalog
        self.tz_idx = tz_idx
        self.end = np.datetime64(cfg.end.replace(tzinfo=None), "us")
        self.sessions = Sessions()
        self._local_end_dates = _local_end_dates(cfg.end)
        # the predictive cohort's future: person -> (orders, any activity) after the end
        self.future: dict[int, tuple[int, bool]] = {}

    # -- time helpers -------------------------------------------------------------------
    def local_start(self, users: np.ndarray, days_before: np.ndarray,
                    hours: np.ndarray) -> np.ndarray:
        """UTC start of a session on local date (end's local date - days_before) at hours.

        With days_before >= 1 the session is before ``end`` and less than
        ``days_before + 1`` days before it, whatever the zone.
        """
        out = np.empty(len(users), "datetime64[us]")
        zones = self.tz_idx[users]
        for z, (name, _, _) in enumerate(TIME_ZONES):
            mask = zones == z
            if not mask.any():
                continue
            local = (self._local_end_dates[z] - days_before[mask].astype("timedelta64[D]"))
            local = local.astype("datetime64[us]") + (hours[mask] * 3_600_000_000).astype(
                "timedelta64[us]")
            utc = (pd.DatetimeIndex(local).tz_localize(name, ambiguous="NaT",
                                                       nonexistent="shift_forward")
                   .tz_convert("UTC").tz_localize(None))
            out[mask] = utc.to_numpy().astype("datetime64[us]")
        return out

    def uniform(self, low: float, high: float, n: int) -> np.ndarray:
        return self.rng.uniform(low, high, n)

    def days(self, low: int, high: int, n: int) -> np.ndarray:
        high = min(high, self.cfg.days - 1)
        return self.rng.integers(low, high + 1, n)

    def distinct_days(self, users: np.ndarray, counts: np.ndarray, low: int,
                      high: int) -> tuple[np.ndarray, np.ndarray]:
        """For each user, ``count`` distinct days in [low, high] (count <= span)."""
        span = high - low + 1
        perm = np.argsort(self.rng.random((len(users), span)), axis=1)[:, : counts.max()]
        take = np.arange(perm.shape[1]) < counts[:, None]
        return np.repeat(users, counts), perm[take] + low

    def product(self, n: int, pool: np.ndarray | None = None) -> np.ndarray:
        if pool is None:
            return self.rng.integers(0, N_PRODUCTS, n)
        return pool[self.rng.integers(0, len(pool), n)]

    # -- building blocks ---------------------------------------------------------------
    def history(self, users: np.ndarray, mean_sessions: float, low_day: int,
                buy_share: float, abandon_share: float = 0.0, min_sessions: int = 2,
                expensive: bool = False) -> None:
        """Older daytime sessions on days [low_day, days-1]: browsing, buying, old carts."""
        if low_day > self.cfg.days - 1 or len(users) == 0:
            return
        counts = min_sessions + self.rng.poisson(mean_sessions, len(users))
        who = np.repeat(users, counts)
        n = len(who)
        day = self.days(low_day, self.cfg.days - 1, n)
        start = self.local_start(who, day, self.uniform(*DAYTIME, n))
        roll = self.rng.random(n)
        intent = np.where(roll < buy_share, 2, np.where(roll < buy_share + abandon_share, 1, 0))
        status = self.rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 1, 2], n)
        pool = self.catalog.expensive if expensive else None
        self.sessions.add(who, start, intent, self.product(n, pool),
                          quantity=self.rng.integers(1, 3, n), status=status)

    def recent_purchase(self, users: np.ndarray, low_day: int = 1, high_day: int = 20,
                        expensive: bool = False) -> None:
        """One completed daytime purchase within the last ``high_day + 1`` days."""
        n = len(users)
        start = self.local_start(users, self.days(low_day, high_day, n),
                                 self.uniform(*DAYTIME, n))
        pool = self.catalog.expensive if expensive else None
        self.sessions.add(users, start, 2, self.product(n, pool),
                          quantity=self.rng.integers(1, 3, n))

    # -- archetypes --------------------------------------------------------------------
    def plan(self, archetype: str, users: np.ndarray) -> None:
        if len(users) == 0:
            return
        getattr(self, f"_plan_{archetype}")(users)

    def _plan_regular(self, users):
        # a quarter each of background_rule_share: lapsed, a cart left, new, a busy week
        kind = np.minimum(self.rng.random(len(users)) / (self.cfg.background_rule_share / 4),
                          4).astype(np.int64) if self.cfg.background_rule_share else \
            np.full(len(users), 4)
        if self.cfg.predictive_share:
            # drawn from the ordinary ones (kind 4), so the background rules keep their share
            predictive = (kind == 4) & (self.rng.random(len(users)) < self.cfg.predictive_share)
            self._plan_predictive(users[predictive])
            users, kind = users[~predictive], kind[~predictive]
        lapsed, new = kind == 0, kind == 2
        self.history(users[lapsed], self.cfg.days * 0.05, 35, buy_share=0.2,
                     abandon_share=0.08)
        self.plan("new_user", users[new])
        active = users[~lapsed & ~new]
        self.history(active, self.cfg.days * 0.05, 8, buy_share=0.2, abandon_share=0.08)
        self.recent_purchase(active)
        # a cart left in the last days: an abandoner unless the recent purchase came later
        self._abandon(users[kind == 1], None, 1)
        busy = users[kind == 3]
        if len(busy):
            who, day = self.distinct_days(busy, self.rng.integers(5, 7, len(busy)), 1, 6)
            self.sessions.add(who, self.local_start(who, day, self.uniform(*DAYTIME, len(who))),
                              0, self.product(len(who)))

    def _plan_predictive(self, users):
        """Day by day: purchases ~ Poisson(rate), browsing sessions ~ Poisson(browse rate),
        and after each purchase a dropout with the person's own chance, after which nothing
        more happens. Days 1 .. days-1 before the end are landed; the end's own day and the
        future_days-1 days after it are only counted (into self.future)."""
        n = len(users)
        if n == 0:
            return
        rate = self.rng.gamma(0.9, 1 / 25, n)
        browse_rate = 2.0 * rate + self.rng.gamma(1.0, 0.03, n)
        dropout = self.rng.beta(1.0, 5.0, n)
        first = self.rng.integers(self.cfg.days // 2, self.cfg.days, n)
        alive = np.ones(n, bool)
        orders_after = np.zeros(n, np.int64)
        active_after = np.zeros(n, bool)
        # everyone is seen at least once: a first browsing session on their first day
        self._sessions_on(users, first, 0)
        for day in range(self.cfg.days - 1, -self.cfg.future_days, -1):
            on = alive & (first >= day)
            buys = self.rng.poisson(rate) * on
            browses = self.rng.poisson(browse_rate) * on
            if day >= 1:
                self._sessions_on(np.repeat(users, buys), np.full(buys.sum(), day), 2)
                self._sessions_on(np.repeat(users, browses), np.full(browses.sum(), day), 0)
            else:
                orders_after += buys
                active_after |= (buys + browses) > 0
            alive &= self.rng.random(n) >= 1 - (1 - dropout) ** buys
        outcomes = zip(orders_after.tolist(), active_after.tolist(), strict=True)
        self.future.update(zip(users.tolist(), outcomes, strict=True))

    def _sessions_on(self, who: np.ndarray, days_before: np.ndarray, intent: int) -> None:
        if len(who) == 0:
            return
        n = len(who)
        self.sessions.add(who, self.local_start(who, days_before, self.uniform(*DAYTIME, n)),
                          intent, self.product(n), quantity=self.rng.integers(1, 3, n))

    def _plan_visitor(self, users):
        counts = self.rng.integers(1, 4, len(users))
        who = np.repeat(users, counts)
        n = len(who)
        start = self.local_start(who, self.days(8, 28, n), self.uniform(*DAYTIME, n))
        self.sessions.add(who, start, 0, self.product(n))

    def _plan_morning_buyer(self, users):
        self.history(users, 3, 8, buy_share=0.3)
        # 3-4 sessions: five would also make a highly active user
        who, day = self.distinct_days(users, self.rng.integers(3, 5, len(users)), 1, 6)
        n = len(who)
        self.sessions.add(who, self.local_start(who, day, self.uniform(*MORNING, n)), 2,
                          self.product(n), quantity=self.rng.integers(1, 3, n))

    def _abandon(self, users, pool, quantity, focus_views=1, within_day=False):
        n = len(users)
        if within_day:
            hours_before = self.uniform(3.0, 20.0, n)
            start = self.end - (hours_before * 3_600_000_000).astype("timedelta64[us]")
        else:
            start = self.local_start(users, self.days(1, 5, n), self.uniform(10.0, 20.0, n))
        self.sessions.add(users, start, 1, self.product(n, pool), focus_views=focus_views,
                          quantity=quantity)

    def _buyer_history(self, users):
        # older purchases, the latest 8-20 days ago: before the recent behaviour, and recent
        # enough that the person is no churn risk
        self.history(users, 3, 9, buy_share=0.3)
        self.recent_purchase(users, low_day=8, high_day=20)

    def _plan_cart_abandoner(self, users):
        self._buyer_history(users)
        self._abandon(users, self.catalog.cheap, 1)

    def _plan_high_value_cart_abandoner(self, users):
        self._buyer_history(users)
        self._abandon(users, self.catalog.expensive, self.rng.integers(1, 3, len(users)))

    def _plan_high_intent(self, users):
        self._buyer_history(users)
        self._abandon(users, self.catalog.cheap, 1, focus_views=2, within_day=True)

    def _plan_dormant(self, users):
        counts = 1 + self.rng.poisson(3, len(users))
        who = np.repeat(users, counts)
        n = len(who)
        start = self.local_start(who, self.days(35, self.cfg.days - 1, n),
                                 self.uniform(*DAYTIME, n))
        # at most one order, so that a dormant person is not also a churn risk
        first = np.r_[True, who[1:] != who[:-1]]
        intent = np.where(first & (self.rng.random(n) < 0.5), 2, 0)
        self.sessions.add(who, start, intent, self.product(n))

    def _plan_highly_active(self, users):
        self._buyer_history(users)
        n_users = len(users)
        days = np.tile(np.arange(1, 7), n_users)
        who = np.repeat(users, 6)
        self.sessions.add(who, self.local_start(who, days, self.uniform(10.0, 11.5, len(who))),
                          0, self.product(len(who)))
        extra_who, extra_day = self.distinct_days(users, self.rng.integers(0, 3, n_users), 1, 6)
        m = len(extra_who)
        self.sessions.add(extra_who,
                          self.local_start(extra_who, extra_day, self.uniform(14.0, 16.5, m)),
                          np.where(self.rng.random(m) < 0.3, 2, 0), self.product(m))

    def _plan_evening_browser(self, users):
        self.history(users, 2, 32, buy_share=0.0)
        who, day = self.distinct_days(users, self.rng.integers(3, 7, len(users)), 1, 28)
        n = len(who)
        self.sessions.add(who, self.local_start(who, day, self.uniform(*EVENING, n)), 0,
                          self.product(n))

    def _plan_repeat_viewer(self, users):
        self._buyer_history(users)
        who, day = self.distinct_days(users, self.rng.integers(3, 5, len(users)), 1, 6)
        focus = self.product(len(users))
        idx = np.searchsorted(users, who)
        n = len(who)
        self.sessions.add(who, self.local_start(who, day, self.uniform(*DAYTIME, n)), 0,
                          focus[idx])

    def _plan_new_user(self, users):
        who, day = self.distinct_days(users, self.rng.integers(1, 4, len(users)), 1, 5)
        n = len(who)
        intent = np.where(self.rng.random(n) < 0.3, 2, 0)
        self.sessions.add(who, self.local_start(who, day, self.uniform(*DAYTIME, n)), intent,
                          self.product(n))

    def _plan_churner(self, users):
        who, day = self.distinct_days(users, self.rng.integers(2, 5, len(users)), 35,
                                      min(110, self.cfg.days - 1))
        n = len(who)
        self.sessions.add(who, self.local_start(who, day, self.uniform(*DAYTIME, n)), 2,
                          self.product(n), quantity=self.rng.integers(1, 3, n))
        browse_who, browse_day = self.distinct_days(users, self.rng.integers(1, 3, len(users)),
                                                    2, 25)
        m = len(browse_who)
        self.sessions.add(browse_who,
                          self.local_start(browse_who, browse_day, self.uniform(*DAYTIME, m)),
                          0, self.product(m))

    def _plan_high_value_buyer(self, users):
        self.history(users, self.cfg.days * 0.06, 8, buy_share=0.6, expensive=True,
                     min_sessions=4)
        self.recent_purchase(users, expensive=True)


def _local_end_dates(end: datetime) -> list[np.datetime64]:
    stamp = pd.Timestamp(end).tz_localize("UTC")
    return [np.datetime64(stamp.tz_convert(name).date(), "D") for name, _, _ in TIME_ZONES]


def assign_archetypes(cfg: Config, rng: np.random.Generator) -> np.ndarray:
    """Archetype index per person: planted shares first, the rest ``regular``."""
    shares = [0.0, cfg.visitor_share] + [cfg.archetype_share] * len(ARCHETYPE_SEGMENTS)
    shares[0] = 1.0 - sum(shares)
    counts = np.floor(np.array(shares) * cfg.users).astype(np.int64)
    counts[0] += cfg.users - counts.sum()
    labels = np.repeat(np.arange(len(ARCHETYPES)), counts)
    return rng.permutation(labels)


class Generator:
    """Writes the landing zone chunk by chunk."""

    def __init__(self, cfg: Config, out: Path, progress: bool = True):
        cfg.validate()
        self.cfg = cfg
        self.out = out
        self.progress = progress
        self.counts: Counter[str] = Counter()
        self.rng = np.random.default_rng(cfg.seed)
        self.catalog = Catalog.build(self.rng)
        self.archetype = assign_archetypes(cfg, self.rng)
        zone_weights = np.array([w for _, _, w in TIME_ZONES])
        self.tz_idx = self.rng.choice(len(TIME_ZONES), cfg.users,
                                      p=zone_weights / zone_weights.sum())
        # customers whose CRM zone is unknown (read as UTC) live in London, UTC in winter,
        # so the planted local hours near the default end date stay what the rules see
        self.unknown_time_zone = (self.archetype == 0) & (
            self.rng.random(cfg.users) < cfg.unknown_time_zone_rate)
        self.tz_idx[self.unknown_time_zone] = 0
        # anonymous visitors have no CRM zone either: their local time is UTC too
        self.tz_idx[self.archetype == ARCHETYPES.index("visitor")] = 0
        self.event_seq = 0

    def run(self) -> dict:
        for table in ("events", "orders", "customers", "deletion_requests", "campaign_outcomes",
                      "_ground_truth"):
            folder = self.out / table
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
        # a folder of its own: readers of _ground_truth/*.parquet get the persons only
        (self.out / "_ground_truth" / "crm_identities").mkdir()
        started = time.perf_counter()
        n_chunks = -(-self.cfg.users // self.cfg.chunk_users)
        for chunk in range(n_chunks):
            lo = chunk * self.cfg.chunk_users
            hi = min(self.cfg.users, lo + self.cfg.chunk_users)
            self._chunk(chunk, np.arange(lo, hi))
            if self.progress:
                elapsed = time.perf_counter() - started
                print(f"  chunk {chunk + 1}/{n_chunks}: persons {hi:,}/{self.cfg.users:,}, "
                      f"events {self.counts['events_rows']:,} ({elapsed:.1f}s)", file=sys.stderr)
        manifest = {
            "as_of": self.cfg.end.isoformat(sep=" "),
            "seed": self.cfg.seed,
            "users": self.cfg.users,
            "days": self.cfg.days,
            "rows": {t: self.counts[f"{t}_rows"] for t in
                     ("events", "orders", "customers", "deletion_requests",
                      "campaign_outcomes")},
            "planted": dict(sorted((k, v) for k, v in self.counts.items()
                                   if not k.endswith("_rows"))),
            "archetypes": {name: int((self.archetype == i).sum())
                           for i, name in enumerate(ARCHETYPES)},
            "seconds": round(time.perf_counter() - started, 2),
        }
        (self.out / "_ground_truth" / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return manifest

    # ------------------------------------------------------------------------------------
    def _chunk(self, chunk: int, people: np.ndarray) -> None:
        rng = np.random.default_rng([self.cfg.seed, chunk])
        planner = ChunkPlanner(self.cfg, rng, self.catalog, self.tz_idx)
        archetype = self.archetype[people]
        for a, name in enumerate(ARCHETYPES):
            planner.plan(name, people[archetype == a])
        sessions = planner.sessions.concat()

        deleted = (archetype == 0) & (rng.random(len(people)) < self.cfg.deletion_rate)
        registered = archetype != ARCHETYPES.index("visitor")
        events, orders = self._events_and_orders(rng, sessions, people, registered)
        # noise is copied from the events of persons who stay: an erased person's rows are
        # erased, whatever else is wrong with them, so the planted counts stay exact
        erased = pc.is_in(events["user_id"], pa.array(
            [f"u{p:08d}" for p in people[deleted & registered]], pa.string()))
        erased_devices = pc.is_in(events["anonymous_id"], pa.array(
            [f"a{p:08d}-{d}" for p in people[deleted & registered] for d in range(3)],
            pa.string()))
        keep = pc.invert(pc.or_kleene(pc.fill_null(erased, False),
                                      pc.fill_null(erased_devices, False)))
        self._write(f"events/part-{chunk:05d}.parquet",
                    self._with_event_noise(rng, events, np.asarray(keep)))
        order_keep = pc.invert(pc.fill_null(pc.is_in(orders["user_id"], pa.array(
            [f"u{p:08d}" for p in people[deleted & registered]], pa.string())), False))
        self._write(f"orders/part-{chunk:05d}.parquet",
                    self._with_order_noise(rng, orders, np.asarray(order_keep)))
        customers, identities = self._customers(rng, people[registered], sessions,
                                                erased=people[deleted & registered])
        self._write(f"customers/part-{chunk:05d}.parquet", customers)
        pq.write_table(identities, self.out / "_ground_truth" / "crm_identities"
                       / f"part-{chunk:05d}.parquet", compression="zstd")
        self._write(f"deletion_requests/part-{chunk:05d}.parquet",
                    self._deletions(rng, people[deleted & registered]))
        truth = self._ground_truth(people, archetype, deleted & registered, planner.future)
        self._write(f"_ground_truth/part-{chunk:05d}.parquet", truth)
        self._write(f"campaign_outcomes/part-{chunk:05d}.parquet",
                    self._campaign_outcomes(rng, truth.to_pandas()))

    def _write(self, relative: str, table: pa.Table) -> None:
        folder = relative.split("/")[0]
        self.counts[f"{folder}_rows"] += table.num_rows
        pq.write_table(table, self.out / relative, compression="zstd")

    def _events_and_orders(self, rng, s, people, registered) -> tuple[pa.Table, pa.Table]:
        n_sessions = len(s["user"])
        user = s["user"]
        # -- identity: the first 0-2 sessions of a registered person are anonymous on device 0
        first_of_user = np.r_[True, user[1:] != user[:-1]]
        session_rank = np.arange(n_sessions) - np.maximum.accumulate(
            np.where(first_of_user, np.arange(n_sessions), 0))
        local_user = np.searchsorted(people, user)
        # at least one logged-in session, so that every device of a customer stitches to them
        sessions_per_user = np.bincount(local_user, minlength=len(people))
        n_anon = np.minimum(rng.integers(0, 3, len(people)), np.maximum(sessions_per_user - 1, 0))
        is_logged_in = registered[local_user] & (session_rank >= n_anon[local_user])
        n_devices = rng.integers(1, 4, len(people))
        device = rng.integers(0, 3, n_sessions) % n_devices[local_user]
        first_login = is_logged_in & (session_rank == n_anon[local_user])
        device = np.where(~is_logged_in | first_login, 0, device)
        device_type_idx = (user * 7 + device) % 3

        # -- event layout per session: page views, search, product views, cart, checkout, buy
        n_page = 1 + rng.poisson(1.2, n_sessions)
        n_search = (rng.random(n_sessions) < 0.3).astype(np.int64)
        n_other = rng.poisson(1.0, n_sessions)
        n_focus = s["focus_views"]
        has_cart = (s["intent"] >= 1).astype(np.int64)
        has_buy = (s["intent"] == 2).astype(np.int64)
        per_session = n_page + n_search + n_other + n_focus + has_cart + 2 * has_buy
        sid = np.repeat(np.arange(n_sessions), per_session)
        first = np.cumsum(per_session) - per_session
        pos = np.arange(len(sid)) - first[sid]
        b1 = n_page[sid]
        b2 = b1 + n_search[sid]
        b3 = b2 + n_other[sid]
        b4 = b3 + n_focus[sid]
        b5 = b4 + has_cart[sid]
        etype = np.select([pos < b1, pos < b2, pos < b4, pos < b5, pos == b5],
                          [0, 1, 2, 3, 4], 5).astype(np.int64)
        gaps = rng.integers(5, 180, len(sid)).astype("timedelta64[s]").astype("timedelta64[us]")
        gaps[first] = 0
        offsets = np.cumsum(gaps.astype(np.int64))
        offsets -= offsets[first][sid]
        occurred = s["start"][sid] + offsets.astype("timedelta64[us]")

        is_product = (etype >= 2)
        # other products viewed in a session are distinct and never the session's focus
        session_base = rng.integers(0, N_PRODUCTS - 64, n_sessions)
        other_product = (s["product"][sid] + 1 + session_base[sid] + pos) % N_PRODUCTS
        product = np.where((etype == 2) & (pos < b3), other_product, s["product"][sid])
        price = np.where(is_product, self.catalog.prices[product], np.nan)
        quantity = np.where(etype >= 3, s["quantity"][sid], 1)
        engagement = np.where(etype <= 2, rng.integers(500, 120_000, len(sid)), 0)

        logged = is_logged_in[sid]
        user_global = user[sid]
        base_seq = self.event_seq
        event_ids = _prefixed("e", base_seq + np.arange(len(sid)), 10)
        self.event_seq += len(sid)
        channel = np.where(etype == 5, "server",
                           np.where(device_type_idx[sid] == 0, "app", "web"))
        events = pa.table({
            "event_id": event_ids,
            "event_type": pa.array(np.array(EVENT_TYPES)[etype]),
            # microseconds: Spark cannot read Parquet's nanosecond timestamps (docs/spark.md)
            "occurred_at": pa.array(occurred.astype("datetime64[us]")),
            "anonymous_id": pc.binary_join_element_wise(
                _prefixed("a", user_global, 8), pa.array(device[sid].astype(str)), "-"),
            "user_id": pc.if_else(pa.array(logged), _prefixed("u", user_global, 8), None),
            "page_path": pa.array(np.where(etype == 0, "/home", np.where(
                is_product, "/product", "/search"))),
            "product_id": pc.if_else(pa.array(is_product),
                                     self.catalog.product_ids.take(pa.array(product)), None),
            "category": pc.if_else(pa.array(is_product),
                                   self.catalog.categories.take(pa.array(product)), None),
            "price": pa.array(price, from_pandas=True),
            "quantity": pa.array(quantity.astype(np.int32)),
            "device_type": pa.array(DEVICE_TYPES[device_type_idx[sid]]),
            "channel": pa.array(channel),
            "country": pa.array(np.array([c for _, c, _ in TIME_ZONES])[self.tz_idx[user_global]]),
            "engagement_ms": pa.array(np.where(engagement > 0, engagement, 0).astype(np.int64)),
            # when the event landed: minutes later, or (a few) days late from offline apps
            "loaded_at": pa.array(occurred + np.where(
                rng.random(len(sid)) < self.cfg.late_rate,
                rng.integers(4 * 86400, 10 * 86400, len(sid)),
                rng.integers(1, 600, len(sid))).astype("timedelta64[s]").astype("timedelta64[us]")),
        })

        # -- orders: one per buying session, placed two seconds after the purchase event
        buy_rows = np.flatnonzero(etype == 5)
        buy_session = sid[buy_rows]
        n_lines = 1 + rng.binomial(2, 0.3, len(buy_rows))
        line_order = np.repeat(np.arange(len(buy_rows)), n_lines)
        line_number = np.arange(len(line_order)) - (np.cumsum(n_lines) - n_lines)[line_order] + 1
        line_product = np.where(line_number == 1, s["product"][buy_session][line_order],
                                rng.integers(0, N_PRODUCTS, len(line_order)))
        line_qty = np.where(line_number == 1, s["quantity"][buy_session][line_order],
                            rng.integers(1, 3, len(line_order)))
        ordered_at = occurred[buy_rows][line_order] + np.timedelta64(2, "s")
        free = rng.random(len(line_order)) < self.cfg.free_item_rate
        self.counts["orders_free_item_lines"] += int(free.sum())
        status_names = np.array(["completed", "cancelled", "refunded"])
        orders = pa.table({
            "order_id": _prefixed("o", base_seq + buy_rows[line_order], 10),
            "line_number": pa.array(line_number.astype(np.int32)),
            "user_id": _prefixed("u", user[buy_session][line_order], 8),
            "ordered_at": pa.array(ordered_at, pa.timestamp("us", tz="UTC")),
            "product_id": self.catalog.product_ids.take(pa.array(line_product)),
            "category": self.catalog.categories.take(pa.array(line_product)),
            "quantity": pa.array(line_qty.astype(np.int32)),
            "unit_price": pa.array(np.where(free, 0.0, self.catalog.prices[line_product])),
            "status": pa.array(status_names[s["status"][buy_session][line_order]]),
        })
        return events, orders

    # -- noise -----------------------------------------------------------------------------
    def _with_event_noise(self, rng, events: pa.Table, eligible: np.ndarray) -> pa.Table:
        n = events.num_rows
        pool = np.flatnonzero(eligible)
        parts = [events]
        n_dup = rng.binomial(n, self.cfg.duplicate_rate) if len(pool) else 0
        if n_dup:
            dup = events.take(pa.array(pool[rng.integers(0, len(pool), n_dup)]))
            changed = pa.array(rng.random(n_dup) < 0.25)
            dup = dup.set_column(dup.schema.get_field_index("engagement_ms"), "engagement_ms",
                                 pc.if_else(changed, pc.add(dup["engagement_ms"], 1),
                                            dup["engagement_ms"]))
            self.counts["events_duplicates"] += n_dup
            parts.append(dup)
        n_bad = rng.binomial(n, self.cfg.bad_rate) if len(pool) else 0
        if n_bad:
            bad = events.take(pa.array(pool[rng.integers(0, len(pool), n_bad)])).to_pandas()
            bad["event_id"] = [f"bad-{self.cfg.seed}-{self.event_seq}-{i}" for i in range(n_bad)]
            self.event_seq += 1
            kinds = rng.integers(0, len(EVENT_BAD_KINDS), n_bad)
            for k, kind in enumerate(EVENT_BAD_KINDS):
                m = kinds == k
                self.counts[f"events_bad_{kind}"] += int(m.sum())
                if kind == "missing_event_id":
                    bad.loc[m, "event_id"] = None
                elif kind == "missing_identity":
                    bad.loc[m, ["anonymous_id", "user_id"]] = None
                elif kind == "blocked_identity":
                    bad.loc[m, "anonymous_id"] = "undefined"
                    bad.loc[m, "user_id"] = "0"
                elif kind == "unknown_event_type":
                    bad.loc[m, "event_type"] = "pageview_v2"
                elif kind == "missing_occurred_at":
                    bad.loc[m, "occurred_at"] = pd.NaT
                elif kind == "negative_price":
                    bad.loc[m, "price"] = -9.99
                elif kind == "invalid_quantity":
                    bad.loc[m, "quantity"] = 0
                elif kind == "occurred_in_future":
                    bad.loc[m, "occurred_at"] = pd.Timestamp("2125-01-01")
            parts.append(pa.Table.from_pandas(bad, schema=events.schema, preserve_index=False))
        return pa.concat_tables(parts)

    def _with_order_noise(self, rng, orders: pa.Table, eligible: np.ndarray) -> pa.Table:
        n = orders.num_rows
        pool = np.flatnonzero(eligible)
        n_bad = rng.binomial(n, self.cfg.bad_rate * 5) if len(pool) else 0
        if not n_bad:
            return orders
        bad = orders.take(pa.array(pool[rng.integers(0, len(pool), n_bad)])).to_pandas()
        kinds = rng.integers(0, len(ORDER_BAD_KINDS), n_bad)
        # rows that are not plain re-deliveries get an order id of their own
        bad["order_id"] = np.where(kinds == ORDER_BAD_KINDS.index("duplicate_order_line"),
                                   bad["order_id"],
                                   [f"bad-o-{self.cfg.seed}-{self.event_seq}-{i}"
                                    for i in range(n_bad)])
        self.event_seq += 1
        for k, kind in enumerate(ORDER_BAD_KINDS):
            m = kinds == k
            self.counts[f"orders_bad_{kind}"] += int(m.sum())
            if kind == "missing_order_id":
                bad.loc[m, "order_id"] = None
            elif kind == "missing_user_id":
                bad.loc[m, "user_id"] = None
            elif kind == "invalid_quantity":
                bad.loc[m, "quantity"] = 0
            elif kind == "negative_unit_price":
                bad.loc[m, "unit_price"] = -1.0
            elif kind == "unknown_status":
                bad.loc[m, "status"] = "pending_review"
        return pa.concat_tables([orders, pa.Table.from_pandas(bad, schema=orders.schema,
                                                              preserve_index=False)])

    # -- CRM -------------------------------------------------------------------------------
    def _customers(self, rng, people: np.ndarray, sessions,
                   erased: np.ndarray | None = None) -> tuple[pa.Table, pa.Table]:
        """The chunk's CRM records and their identities' truth (one row per user_id)."""
        n = len(people)
        first_seen = pd.Series(sessions["start"]).groupby(sessions["user"]).min()
        first = first_seen.reindex(people).to_numpy().astype("datetime64[us]")
        signup = first - rng.integers(0, 3600, n).astype("timedelta64[s]").astype(
            "timedelta64[us]")
        zone = np.array([name for name, _, _ in TIME_ZONES], dtype=object)[self.tz_idx[people]]
        unknown = self.unknown_time_zone[people]
        zone[unknown] = UNKNOWN_TIME_ZONE
        self.counts["customers_unknown_time_zone"] += int(unknown.sum())
        consent = rng.random(n) < 0.7
        cities = np.array(CITIES)
        table = pa.table({
            "user_id": _prefixed("u", people, 8),
            "email": pc.binary_join_element_wise(_prefixed("u", people, 8),
                                                 pa.array(["example.com"] * n), "@"),
            "signup_at": pa.array(signup.astype("datetime64[ms]")),
            "birth_year": pa.array(rng.integers(1950, 2006, n).astype(np.int32)),
            "gender": pa.array(rng.choice(["female", "male", "other", "unknown"], n,
                                          p=[0.48, 0.47, 0.02, 0.03])),
            "income_band": pa.array(rng.choice(["low", "middle", "high"], n)),
            "occupation": pa.array(rng.choice(["student", "employed", "self_employed",
                                               "retired", "other"], n)),
            "city": pa.array(rng.choice(cities, n)),
            "country": pa.array(np.array([c for _, c, _ in TIME_ZONES])[self.tz_idx[people]]),
            "timezone": pa.array(zone.astype(str)),
            "marketing_consent": pa.array(consent),
            "consent_updated_at": pa.array(signup.astype("datetime64[ms]")),
            "updated_at": pa.array(signup.astype("datetime64[ms]")),
        })
        for name, values in contact_columns(
                self.cfg.seed, int(people[0]) if n else 0, np.asarray(table["country"]),
                consent, signup.astype("datetime64[ms]"), np.asarray(table["email"]),
                ~np.isin(people, erased if erased is not None else []),
                self.cfg.bad_rate * 2, people).items():
            column = pa.array(values, pa.timestamp("ms") if name.endswith("_at") else pa.string())
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, column)
            else:
                table = table.append_column(name, column)
        originals = table
        is_erased = np.isin(people, erased if erased is not None else [])
        pool = np.flatnonzero(~is_erased)
        n_dup = min(rng.binomial(n, self.cfg.customer_duplicate_rate), len(pool)) if n else 0
        if n_dup:
            # an older version of the record, superseded by the one above
            old = table.take(pa.array(rng.choice(pool, n_dup, replace=False))).to_pandas()
            old["city"] = "Oldtown"
            old["updated_at"] = old["updated_at"] - pd.Timedelta(days=1)
            self.counts["customers_superseded_versions"] += n_dup
            table = pa.concat_tables([table, pa.Table.from_pandas(old, schema=table.schema,
                                                                  preserve_index=False)])
        planted, truth = identity_records(
            self.cfg.seed, int(people[0]) if n else 0, originals, people, ~is_erased,
            self.cfg.crm_duplicate_share, self.cfg.crm_near_miss_share,
            pd.Timestamp(self.cfg.end))
        kinds = Counter(truth["record_kind"].to_pylist())
        for kind in DUPLICATE_KINDS + NEAR_MISS_KINDS:
            self.counts[f"crm_planted_{kind}"] += kinds[kind]
        self.counts["crm_duplicates_planted"] += sum(kinds[k] for k in DUPLICATE_KINDS)
        self.counts["crm_near_misses_planted"] += sum(kinds[k] for k in NEAR_MISS_KINDS)
        if planted.num_rows:
            # appended last, so every other record stays where it was
            table = pa.concat_tables([table, planted])
        ids = originals["user_id"].combine_chunks()
        own = pa.table({
            "user_id": ids,
            "person_id": ids,
            "record_kind": pa.array(["original"] * n, pa.string()),
            "near_miss_of": pa.nulls(n, pa.string()),
        })
        identities = pa.concat_tables([own, truth]).append_column(
            # erased customers stay listed, flagged as in the persons' ground truth; they
            # have no planted records
            "is_deleted", pa.array(np.concatenate([is_erased,
                                                   np.zeros(truth.num_rows, bool)])))
        return table, identities

    def _deletions(self, rng, people: np.ndarray) -> pa.Table:
        requested = np.full(len(people), np.datetime64(self.cfg.end, "us")) - rng.integers(
            1, 72, len(people)).astype("timedelta64[h]").astype("timedelta64[us]")
        return pa.table({"user_id": _prefixed("u", people, 8),
                         "requested_at": pa.array(requested)})

    def _campaign_outcomes(self, rng, truth: pd.DataFrame) -> pa.Table:
        """Conversions after a campaign to each planted segment: 5 % in the holdout (control)
        group, 8 % among the contacted (treatment), in the week after the end date."""
        members = expected_segments(truth)
        control = np.array([is_control(seg, user) for user, seg in
                            zip(members["user_id"], members["segment"], strict=True)],
                           dtype=bool)
        converted = rng.random(len(members)) < np.where(control, 0.05, 0.08)
        when = np.datetime64(self.cfg.end, "us") + rng.integers(
            3600, 7 * 86400, len(members)).astype("timedelta64[s]").astype("timedelta64[us]")
        chosen = members[converted]
        return pa.table({
            "user_id": pa.array(chosen["user_id"].to_numpy(), pa.string()),
            "segment": pa.array(chosen["segment"].to_numpy(), pa.string()),
            "converted_at": pa.array(when[converted]),
        })

    def _ground_truth(self, people, archetype, deleted, future) -> pa.Table:
        registered = archetype != ARCHETYPES.index("visitor")
        ids = pc.if_else(pa.array(registered), _prefixed("u", people, 8),
                         pc.binary_join_element_wise(_prefixed("a", people, 8),
                                                     pa.array(["0"] * len(people)), "-"))
        known = [future.get(int(p)) for p in people]
        return pa.table({
            "user_id": ids,
            "archetype": pa.array(np.array(ARCHETYPES)[archetype]),
            "is_deleted": pa.array(deleted),
            # the predictive cohort only (null for everyone else): the future_days after end
            "orders_after_end": pa.array([k[0] if k else None for k in known], pa.int64()),
            "is_active_after_end": pa.array([k[1] if k else None for k in known], pa.bool_()),
        })


def expected_segments(ground_truth: pd.DataFrame) -> pd.DataFrame:
    """One row per (user_id, segment) a rule must find, from the ground-truth table."""
    rows = [(user, segment)
            for user, archetype, deleted in ground_truth[["user_id", "archetype",
                                                          "is_deleted"]].itertuples(index=False)
            if not deleted
            for segment in ARCHETYPE_SEGMENTS.get(archetype, ())]
    return pd.DataFrame(rows, columns=["user_id", "segment"])


def parse_args(argv: list[str] | None = None) -> tuple[Config, Path]:
    parser = argparse.ArgumentParser(
        prog="python -m segmart.generate",
        description="Generate a segmart raw landing zone with planted archetypes.")
    parser.add_argument("--users", type=int, default=2000, help="persons to simulate")
    parser.add_argument("--days", type=int, default=120, help="days of history before --end")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    parser.add_argument("--out", type=Path, default=Path("data/raw"), help="landing zone folder")
    parser.add_argument("--end", default=DEFAULT_END,
                        help="UTC end of the history, the as_of to evaluate at (ISO)")
    parser.add_argument("--archetype-share", type=float, default=0.04,
                        help="share of persons planted per archetype")
    parser.add_argument("--visitor-share", type=float, default=0.10,
                        help="share of anonymous-only visitors")
    parser.add_argument("--duplicate-rate", type=float, default=0.01,
                        help="share of events delivered twice")
    parser.add_argument("--bad-rate", type=float, default=0.002,
                        help="share of extra malformed events (order lines: five times this)")
    parser.add_argument("--deletion-rate", type=float, default=0.002,
                        help="share of regular customers who ask to be erased")
    parser.add_argument("--late-rate", type=float, default=0.002,
                        help="share of events that land 4-10 days after they happened")
    parser.add_argument("--background-rule-share", type=float, default=0.2,
                        help="share of regular customers who lapse, leave a cart, are new or "
                             "have a busy week (0: no background person meets a rule)")
    parser.add_argument("--free-item-rate", type=float, default=0.01,
                        help="share of order lines given away at price zero")
    parser.add_argument("--predictive-share", type=float, default=0.3,
                        help="share of the other regular customers planted as a buy-till-you-die "
                             "process "
                             "whose next --future-days go to the ground truth (0: none)")
    parser.add_argument("--future-days", type=int, default=30,
                        help="days after --end the predictive cohort is simulated for")
    parser.add_argument("--crm-duplicate-share", type=float, default=0.03,
                        help="share of customers given a second CRM record under a new "
                             "user_id (0: none)")
    parser.add_argument("--crm-near-miss-share", type=float, default=0.02,
                        help="share of customers given a namesake or a family member in the "
                             "CRM who must stay apart (0: none)")
    parser.add_argument("--chunk-users", type=int, default=25_000,
                        help="persons per chunk (bounds memory)")
    args = parser.parse_args(argv)
    try:
        end = datetime.fromisoformat(args.end)
    except ValueError:
        parser.error(f"--end must be an ISO timestamp such as {DEFAULT_END}, got {args.end!r}")
    if end.tzinfo is not None:
        end = pd.Timestamp(end).tz_convert("UTC").tz_localize(None).to_pydatetime()
    cfg = Config(users=args.users, days=args.days, seed=args.seed, end=end,
                 archetype_share=args.archetype_share, visitor_share=args.visitor_share,
                 duplicate_rate=args.duplicate_rate, bad_rate=args.bad_rate,
                 deletion_rate=args.deletion_rate, late_rate=args.late_rate,
                 background_rule_share=args.background_rule_share,
                 free_item_rate=args.free_item_rate,
                 predictive_share=args.predictive_share, future_days=args.future_days,
                 crm_duplicate_share=args.crm_duplicate_share,
                 crm_near_miss_share=args.crm_near_miss_share,
                 chunk_users=args.chunk_users)
    try:
        cfg.validate()
    except ValueError as exc:
        parser.error(str(exc))
    return cfg, args.out


def main(argv: list[str] | None = None) -> int:
    cfg, out = parse_args(argv)
    print(f"Generating {cfg.users:,} persons over {cfg.days} days into {out}/ (seed {cfg.seed})",
          file=sys.stderr)
    manifest = Generator(cfg, out).run()
    rows = manifest["rows"]
    print(f"Wrote {rows['events']:,} events, {rows['orders']:,} order lines, "
          f"{rows['customers']:,} customer rows, {rows['deletion_requests']:,} deletion "
          f"requests in {manifest['seconds']}s; as_of {manifest['as_of']}")
    print(f"Ground truth: {out / '_ground_truth'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
