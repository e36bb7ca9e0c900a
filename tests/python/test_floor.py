"""bench/floor.py, the hand-written floor of the benchmark, answers what the dbt build answers."""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest

from conftest import PROJECT_ROOT
from segmart.segments import duckdb_only_rules

pytestmark = pytest.mark.e2e

RULES = {"cart_abandoners", "high_value_cart_abandoners", "dormant_users",
         "highly_active_users", "frequent_morning_buyers", "infrequent_evening_browsers",
         "repeat_product_viewers", "high_intent", "new_users", "churn_risk"}


def _floor():
    spec = importlib.util.spec_from_file_location("floor", PROJECT_ROOT / "bench" / "floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _built_memberships(build) -> set[tuple[str, str]]:
    """The build's memberships of the ten rules: not RFM, not the predictive segments."""
    left_out = ["seg_rfm", *sorted(duckdb_only_rules())]
    return set(build.query("select segment, user_id from marts.segment_memberships "
                           "where not list_contains(?, rule_model)", [left_out]))


@pytest.mark.parametrize("which", ["built", "later"])
def test_floor_equals_the_builds_memberships(which, request):
    # the generated data carry duplicates, every reject reason, superseded CRM versions,
    # unknown time zones and erasures; `later` is the same files at another as_of
    build = request.getfixturevalue(which)
    floor = set(_floor().memberships(build.raw_dir, build.as_of))
    expected = _built_memberships(build)
    # the planted as_of gives every rule members; eleven days later, with no new events,
    # only the rules that outlast activity have any
    segments = {segment for segment, _ in expected}
    assert segments == RULES if which == "built" else {"dormant_users", "churn_risk"} <= segments
    assert floor - expected == set(), Counter(s for s, _ in floor - expected)
    assert expected - floor == set(), Counter(s for s, _ in expected - floor)


def test_floor_follows_the_rule_vars(built):
    # a threshold var changes the floor's answer the way it changes a rule's
    floor = _floor()
    default = Counter(s for s, _ in floor.memberships(built.raw_dir, built.as_of))
    stricter = Counter(s for s, _ in floor.memberships(
        built.raw_dir, built.as_of, overrides={"segmart_highly_active_min_sessions": 1000}))
    assert default["highly_active_users"] > 0
    assert stricter["highly_active_users"] == 0
    assert stricter["dormant_users"] == default["dormant_users"]
