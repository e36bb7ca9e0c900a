"""Probabilistic CRM de-duplication (segmart.identity.linkage) on planted duplicates.

The fixture is built here: persons with one CRM record each, then planted duplicates of
some (typos in names, e-mails in other case and with blanks, the same phone, guest records
with e-mail and name only, migrated ids), and near-misses that must stay apart: namesakes
born the same year in another city, and families at one address with their own e-mails
and phones. bench/bench_linkage.py builds the same kind of data at 1 M records.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("splink")

from segmart.identity import (  # noqa: E402
    LINKAGE_COLUMNS,
    linkage_limits,
    match_crm_records,
    prepare_records,
    settings_fingerprint,
    train_crm_linkage,
)

_SYLLABLES = np.array(["an", "be", "ca", "da", "el", "fi", "go", "ha", "is", "jo", "ka", "li",
                       "mo", "na", "or", "pe", "ri", "sa", "te", "ul", "va", "wi", "ya", "zo"])
_DOMAINS = np.array(["mail.com", "post.de", "web.fr", "inbox.uk", "shop.io"])


def _names(rng: np.random.Generator, count: int, syllables: int) -> np.ndarray:
    parts = rng.choice(_SYLLABLES, size=(count, syllables))
    return np.unique(np.array(["".join(row) for row in parts]))


def _zipf_choice(rng: np.random.Generator, pool: np.ndarray, size: int, a: float = 1.1
                 ) -> np.ndarray:
    """Draws from pool with Zipf-like weights: some names are common, most are rare."""
    weights = 1.0 / np.arange(1, len(pool) + 1) ** a
    return rng.choice(pool, size=size, p=weights / weights.sum())


def _typo(rng: np.random.Generator, words: np.ndarray) -> np.ndarray:
    """One edit per word: two letters swapped, one dropped or one replaced."""
    out = []
    for word, kind in zip(words, rng.integers(0, 3, size=len(words)), strict=True):
        i = int(rng.integers(1, max(len(word) - 1, 2)))
        if kind == 0 and len(word) > 2:
            word = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
        elif kind == 1 and len(word) > 3:
            word = word[:i] + word[i + 1:]
        else:
            word = word[:i] + "xqz"[int(rng.integers(0, 3))] + word[i + 1:]
        out.append(word)
    return np.array(out, dtype=object)


def _postal_codes(rng: np.random.Generator, city_index: np.ndarray) -> np.ndarray:
    """Forty postal codes per city: the city's number and a district."""
    district = rng.integers(0, 40, size=len(city_index))
    return (pd.Series(city_index).astype(str).str.zfill(3)
            + pd.Series(district).astype(str).str.zfill(2)).to_numpy()


def _phones(rng: np.random.Generator, prefix: str, count: int) -> np.ndarray:
    """Distinct E.164 numbers under a prefix."""
    numbers = rng.choice(10**8, size=count, replace=False)
    return (prefix + pd.Series(numbers).astype(str).str.zfill(8)).to_numpy()


def synthetic_crm_records(persons: int, *, seed: int = 1, duplicate_share: float = 0.2,
                          namesake_share: float = 0.03, family_share: float = 0.03
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CRM records (LINKAGE_COLUMNS) and their truth (user_id, person_id, record_kind).

    record_kind: original, duplicate_<typo, case, guest, migration or moved>, namesake or family
    (near-misses: their own persons).
    """
    rng = np.random.default_rng(seed)
    first_pool = _names(rng, 3000, 2)
    last_pool = _names(rng, 20000, 3)
    cities = np.array([f"city{i:03d}" for i in range(300)])
    n = persons
    person = np.arange(n)
    city_index = _zipf_choice(rng, np.arange(len(cities)), n, a=0.8)
    base = pd.DataFrame({
        "person_id": person,
        "first_name": _zipf_choice(rng, first_pool, n),
        "last_name": _zipf_choice(rng, last_pool, n, a=0.7),
        "birth_year": rng.integers(1945, 2006, size=n),
        "city": cities[city_index],
        "postal_code": _postal_codes(rng, city_index),
        "record_kind": "original",
    })
    base["email"] = (base["first_name"] + "." + base["last_name"] + person.astype(str) + "@"
                     + rng.choice(_DOMAINS, size=n))
    base["phone_e164"] = _phones(rng, "+4479", n)
    # some originals lack a phone or a birth year
    base.loc[rng.random(n) < 0.1, "phone_e164"] = None
    base["birth_year"] = base["birth_year"].astype("Int64")
    base.loc[rng.random(n) < 0.05, "birth_year"] = pd.NA

    frames = [base]
    dup_of = rng.choice(n, size=int(n * duplicate_share), replace=False)
    dups = base.iloc[dup_of].copy()
    kind = rng.choice(["typo", "case", "guest", "migration", "moved"], size=len(dups),
                      p=[0.3, 0.2, 0.2, 0.15, 0.15])
    dups["record_kind"] = "duplicate_" + kind
    typo = kind == "typo"
    which = rng.random(len(dups)) < 0.5
    dups.loc[typo & which, "last_name"] = _typo(rng, dups.loc[typo & which, "last_name"].values)
    dups.loc[typo & ~which, "first_name"] = _typo(
        rng, dups.loc[typo & ~which, "first_name"].values)
    # a typo record often came in with another e-mail
    new_mail = typo & (rng.random(len(dups)) < 0.5)
    dups.loc[new_mail, "email"] = ("x" + dups.loc[new_mail, "last_name"]
                                   + dups.loc[new_mail, "person_id"].astype(str) + "@"
                                   + rng.choice(_DOMAINS, size=int(new_mail.sum())))
    case = kind == "case"
    dups.loc[case, "email"] = "  " + dups.loc[case, "email"].str.upper() + " "
    dups.loc[case, "first_name"] = dups.loc[case, "first_name"].str.title()
    dups.loc[case, "last_name"] = dups.loc[case, "last_name"].str.upper()
    guest = kind == "guest"
    dups.loc[guest, ["phone_e164", "postal_code"]] = None
    dups.loc[guest, "birth_year"] = pd.NA
    migration = kind == "migration"
    dups.loc[migration, "email"] = (dups.loc[migration, "email"].str.split("@").str[0] + "@"
                                    + rng.choice(_DOMAINS, size=int(migration.sum())))
    # moved house: another city, postal code and phone; the same e-mail and name
    moved = kind == "moved"
    moved_city = rng.integers(0, len(cities), size=int(moved.sum()))
    dups.loc[moved, "city"] = cities[moved_city]
    dups.loc[moved, "postal_code"] = _postal_codes(rng, moved_city)
    dups.loc[moved, "phone_e164"] = _phones(rng, "+4478", int(moved.sum()))
    # a birth year typed one off now and then
    off = rng.random(len(dups)) < 0.05
    dups.loc[off, "birth_year"] = dups.loc[off, "birth_year"] + 1
    frames.append(dups)

    # namesakes: a common first and last name, another city, own contacts; half of them
    # born the same year
    k = int(n * namesake_share)
    common = np.flatnonzero(base["last_name"].isin(last_pool[:300]).values
                            & base["first_name"].isin(first_pool[:300]).values)
    namesakes = base.iloc[rng.choice(common, size=k, replace=False)].copy()
    later = rng.random(k) < 0.5
    namesakes.loc[later, "birth_year"] = (namesakes.loc[later, "birth_year"]
                                          + rng.integers(1, 10, size=int(later.sum())))
    other_city = (city_index[namesakes["person_id"].values] + rng.integers(1, 300, k)) % 300
    namesakes["city"] = cities[other_city]
    namesakes["postal_code"] = _postal_codes(rng, other_city)
    namesakes["person_id"] = n + np.arange(k)
    namesakes["record_kind"] = "namesake"
    frames.append(namesakes)

    # families: same last name and address, own first name, birth year, e-mail, phone
    k2 = int(n * family_share)
    family = base.iloc[rng.choice(n, size=k2, replace=False)].copy()
    # another first name than the relative's, born 2 to 30 years apart
    other_name = _zipf_choice(rng, first_pool, k2)
    same = other_name == family["first_name"].values
    other_name[same] = _zipf_choice(rng, first_pool[300:], int(same.sum()))
    family["first_name"] = other_name
    gap = rng.integers(2, 31, size=k2) * rng.choice([-1, 1], size=k2)
    family["birth_year"] = family["birth_year"] + gap
    family["person_id"] = n + k + np.arange(k2)
    family["record_kind"] = "family"
    frames.append(family)

    records = pd.concat(frames, ignore_index=True)
    contacts = records["record_kind"].isin(["namesake", "family"])
    records.loc[contacts, "email"] = (records.loc[contacts, "first_name"] + "_"
                                      + records.loc[contacts, "person_id"].astype(str)
                                      + "@" + rng.choice(_DOMAINS, size=int(contacts.sum())))
    records.loc[contacts, "phone_e164"] = _phones(rng, "+3361", int(contacts.sum()))
    records["user_id"] = "u" + pd.Series(rng.permutation(len(records))).astype(str).str.zfill(8)
    truth = records[["user_id", "person_id", "record_kind"]].copy()
    return records[list(LINKAGE_COLUMNS)], truth


def _same_person_pairs(user_ids: pd.Series, groups: pd.Series) -> set[tuple[str, str]]:
    frame = pd.DataFrame({"user_id": user_ids.values, "group": groups.values})
    pairs = frame.merge(frame, on="group")
    pairs = pairs[pairs["user_id_x"] < pairs["user_id_y"]]
    return set(zip(pairs["user_id_x"], pairs["user_id_y"], strict=True))


def _components(user_ids: pd.Series, pairs: pd.DataFrame) -> pd.Series:
    """The connected components of the matched pairs (union-find), as the identity graph
    makes persons of them: a label per user_id."""
    parent = {user_id: user_id for user_id in user_ids}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in zip(pairs["user_id_left"], pairs["user_id_right"], strict=True):
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return pd.Series([find(user_id) for user_id in user_ids], index=user_ids.index)


def _precision_recall(predicted: set, truth: set) -> tuple[float, float]:
    hits = len(predicted & truth)
    return hits / max(len(predicted), 1), hits / max(len(truth), 1)


@pytest.fixture(scope="module")
def crm():
    records, truth = synthetic_crm_records(3000, seed=11)
    pairs, parameters = match_crm_records(records, threshold=0.99, seed=7)
    return records, truth, pairs, parameters


def test_planted_duplicates_are_found_with_high_precision_and_recall(crm):
    records, truth, pairs, _ = crm
    truth_pairs = _same_person_pairs(truth["user_id"], truth["person_id"])
    direct = set(zip(pairs["user_id_left"], pairs["user_id_right"], strict=True))
    precision, recall = _precision_recall(direct, truth_pairs)
    assert precision >= 0.98, precision
    assert recall >= 0.9, recall
    # the persons the graph would make of these edges are as good
    persons = _components(records["user_id"], pairs)
    merged = _same_person_pairs(records["user_id"], persons)
    precision, recall = _precision_recall(merged, truth_pairs)
    assert precision >= 0.98, precision
    assert recall >= 0.9, recall


def test_pairs_are_ordered_above_the_threshold_and_carry_no_personal_data(crm):
    _, _, pairs, _ = crm
    assert list(pairs.columns) == ["user_id_left", "user_id_right", "match_probability",
                                   "match_weight"]
    assert (pairs["user_id_left"] < pairs["user_id_right"]).all()
    assert (pairs["match_probability"] >= 0.99).all()
    assert not pairs.duplicated(["user_id_left", "user_id_right"]).any()


def test_near_misses_stay_apart(crm):
    records, truth, pairs, _ = crm
    kind = truth.set_index("user_id")["record_kind"]
    person = truth.set_index("user_id")["person_id"]
    near = pairs[kind.loc[pairs["user_id_left"]].isin(["namesake", "family"]).values
                 | kind.loc[pairs["user_id_right"]].isin(["namesake", "family"]).values]
    wrong = near[person.loc[near["user_id_left"]].values
                 != person.loc[near["user_id_right"]].values]
    namesakes = int((kind == "namesake").sum())
    families = int((kind == "family").sum())
    assert namesakes > 50 and families > 50
    assert len(wrong) <= 0.02 * (namesakes + families), wrong


def test_the_same_records_give_the_same_parameters_and_pairs(crm):
    records, _, pairs, parameters = crm
    shuffled = records.sample(frac=1.0, random_state=3)
    again, parameters_again = match_crm_records(shuffled, threshold=0.99, seed=7)
    assert parameters_again == parameters
    pd.testing.assert_frame_equal(again, pairs)


def test_stored_parameters_reproduce_the_pairs_without_training(crm, monkeypatch):
    records, _, pairs, parameters = crm
    stored = json.loads(json.dumps(parameters))
    monkeypatch.setattr("segmart.identity.linkage._train",
                        lambda *args: pytest.fail("trained despite stored parameters"))
    again, used = match_crm_records(records, threshold=0.99, parameters=stored)
    assert used == stored
    pd.testing.assert_frame_equal(again, pairs)


def test_training_alone_gives_the_parameters_of_match(crm):
    records, _, _, parameters = crm
    assert train_crm_linkage(records, seed=7) == parameters


def test_the_fingerprint_is_stable():
    assert settings_fingerprint() == settings_fingerprint()
    assert len(settings_fingerprint()) == 16


def test_prepare_normalises_and_drops_shared_contacts():
    records = pd.DataFrame({
        "user_id": ["b", "a", "c"], "first_name": [" Ann ", "ann", ""],
        "last_name": ["Lee", "LEE", None], "email": ["test@test.com"] * 3,
        "phone_e164": ["+441", "+441", "+442"], "postal_code": ["AB1", "ab1", None],
        "city": ["Leeds", "leeds", "York"], "birth_year": [1980, None, "1990"]})
    prepared = prepare_records(records, max_records_per_value=2)
    assert prepared["user_id"].tolist() == ["a", "b", "c"]
    assert prepared["first_name"].tolist()[:2] == ["ann", "ann"]
    assert pd.isna(prepared.loc[2, "first_name"])
    # three records share the e-mail (above 2): a placeholder, not compared
    assert prepared["email"].isna().all()
    assert prepared["phone_e164"].tolist() == ["+441", "+441", "+442"]
    assert prepared["birth_year"].tolist()[1:] == [1980, 1990]


def test_a_name_block_over_its_cap_is_not_scored(crm):
    # four "ann smith" born 1980 at one postal code: with a cap of 3 neither name block
    # holds them, so only the pair that shares a phone is scored
    records = pd.DataFrame({
        "user_id": ["a", "b", "c", "d", "e"],
        "first_name": ["Ann", "ann", "Ann", "Ann", "Bob"],
        "last_name": ["Smith", "Smith", "smith", "Smith", "Jones"],
        "email": [None, None, None, None, None],
        "phone_e164": ["+441", "+441", None, None, None],
        "postal_code": ["AB1", "AB1", "AB1", "AB1", "AB1"],
        "city": ["Leeds"] * 5, "birth_year": [1980, 1980, 1980, 1980, 1970]})
    prepared = prepare_records(records, max_records_per_block=3)
    assert prepared["block_surname_year"].isna().tolist() == [True] * 4 + [False]
    assert prepared["block_place_name"].isna().tolist() == [True] * 4 + [False]
    assert prepared.loc[4, "block_place_name"] == "ab1|bob"
    roomy = prepare_records(records)
    assert roomy["block_surname_year"].tolist()[:4] == ["smith|1980"] * 4
    parameters = crm[3]
    capped, _ = match_crm_records(records, threshold=0.0001, parameters=parameters,
                                  max_records_per_block=3)
    assert set(zip(capped["user_id_left"], capped["user_id_right"], strict=True)) == {
        ("a", "b")}
    everything, _ = match_crm_records(records, threshold=0.0001, parameters=parameters)
    assert len(everything) == 6  # the four, pairwise


def test_the_caps_come_from_the_vars_and_a_bad_one_names_its_var(crm):
    """The dbt config gives text; the caps reach prepare_records, a bad value is refused."""
    limits = linkage_limits({"max_records_per_value": "20", "max_records_per_block": " 3 ",
                             "memory_limit": "1GB"})
    assert limits == {"max_records_per_value": 20, "max_records_per_block": 3,
                      "memory_limit": "1GB"}
    records = pd.DataFrame({
        "user_id": ["a", "b", "c", "d"], "first_name": ["Ann"] * 4, "last_name": ["Smith"] * 4,
        "email": [None] * 4, "phone_e164": [None] * 4, "postal_code": ["AB1"] * 4,
        "city": ["Leeds"] * 4, "birth_year": [1980] * 4})
    pairs, _ = match_crm_records(records, threshold=0.0001, parameters=crm[3], **limits)
    assert pairs.empty
    good = {"max_records_per_value": "20", "max_records_per_block": "500", "memory_limit": "3GB"}
    for key, bad in (("max_records_per_block", "0"), ("max_records_per_value", "many"),
                     ("memory_limit", "lots")):
        var = "segmart_identity_" + ("linkage_memory_limit" if key == "memory_limit" else key)
        with pytest.raises(ValueError, match=var):
            linkage_limits({**good, key: bad})


def test_bad_input_is_refused():
    records, _ = synthetic_crm_records(50, seed=2)
    with pytest.raises(ValueError, match="lack the columns"):
        match_crm_records(records.drop(columns="city"), threshold=0.9)
    with pytest.raises(ValueError, match="unique"):
        match_crm_records(pd.concat([records, records.head(1)]), threshold=0.9)
    with pytest.raises(ValueError, match="threshold"):
        match_crm_records(records, threshold=0)


# --- in dbt -----------------------------------------------------------------------------------

def _plant_crm_duplicates(raw_dir, count: int, seed: int) -> set[tuple[str, str]]:
    """A second CRM file with duplicates of landed customers under new user_ids: e-mail in
    upper case with blanks, the same phone, now and then a typo in the last name. Returns
    the planted (original, duplicate) pairs, ordered."""
    landed = pd.read_parquet(raw_dir / "customers" / "part-00000.parquet")
    rng = np.random.default_rng(seed)
    dups = landed.iloc[rng.choice(len(landed), size=count, replace=False)].copy()
    originals = dups["user_id"].tolist()
    dups["user_id"] = [f"dup{i:05d}" for i in range(count)]
    dups["email"] = "  " + dups["email"].str.upper() + " "
    typo = rng.random(count) < 0.3
    dups.loc[typo, "last_name"] = _typo(rng, dups.loc[typo, "last_name"].str.lower().values)
    dups.to_parquet(raw_dir / "customers" / "part-00001.parquet", index=False)
    return {tuple(sorted(pair)) for pair in zip(originals, dups["user_id"], strict=True)}


@pytest.mark.e2e
def test_dbt_trains_once_stores_the_model_and_repeats_its_matches(tmp_path):
    import duckdb

    from conftest import generate, run_dbt

    raw_dir, db_path = tmp_path / "raw", tmp_path / "segmart.duckdb"
    as_of = generate(raw_dir)["as_of"]
    planted = _plant_crm_duplicates(raw_dir, 150, seed=4)
    select = ["--select", "+pii_crm_record_matches"]

    def build(name: str, **variables) -> tuple[pd.DataFrame, pd.DataFrame]:
        result = run_dbt(["build", *select, "--vars", json.dumps({"as_of": as_of, **variables})],
                         raw_dir, db_path, tmp_path / name)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
        with duckdb.connect(str(db_path), read_only=True) as connection:
            parameters = connection.sql("select * from pii.pii_crm_linkage_parameters").df()
            matches = connection.sql("select * from pii.pii_crm_record_matches "
                                     "order by all").df()
        return parameters, matches

    parameters, matches = build("first")
    assert parameters["status"].tolist() == ["trained"]
    found = set(zip(matches["user_id_left"], matches["user_id_right"], strict=True))
    assert len(found & planted) >= 0.9 * len(planted)
    assert len(found - planted) <= 0.02 * len(found)

    # the next build reuses the stored model, and keeps the stored matches (same inputs)
    again, matches_again = build("second")
    pd.testing.assert_frame_equal(again, parameters)
    pd.testing.assert_frame_equal(matches_again, matches)

    # retraining on the same data gives the same model (in another process); a new model
    # row is another input, so the pairs are scored again, and come out the same
    retrained, matches_retrained = build("retrain", segmart_identity_retrain=True)
    assert retrained.loc[0, "trained_at"] > parameters.loc[0, "trained_at"]
    assert json.loads(retrained.loc[0, "parameters_json"]) == json.loads(
        parameters.loc[0, "parameters_json"])
    assert (matches_retrained["inputs_fingerprint"] != matches["inputs_fingerprint"]).all()
    pd.testing.assert_frame_equal(matches_retrained.drop(columns="inputs_fingerprint"),
                                  matches.drop(columns="inputs_fingerprint"))


def test_a_crm_without_duplicates_stores_a_skipped_model_and_no_pairs():
    from segmart.identity import matches_table, parameters_from_table, parameters_table

    records, _ = synthetic_crm_records(300, seed=5, duplicate_share=0.0, namesake_share=0.0,
                                       family_share=0.0)
    table = parameters_table(records, seed=7)
    assert table["status"].tolist() == ["skipped"]
    assert "training failed" in table.loc[0, "reason"]
    assert parameters_from_table(table) is None
    assert matches_table(records, None, threshold=0.99).empty


def test_a_stored_model_is_reused_unless_retrained_or_for_other_comparisons(crm):
    from segmart.identity import parameters_table, reusable

    records, _, _, parameters = crm
    stored = pd.DataFrame({"settings_fingerprint": [settings_fingerprint()],
                           "status": ["trained"], "reason": [None],
                           "parameters_json": [json.dumps(parameters)],
                           "seed": [7], "count_records_trained": [len(records)],
                           "splink_version": ["5.0.0"],
                           "trained_at": [pd.Timestamp("2025-01-01")]})
    assert reusable(stored)
    kept = parameters_table(records, seed=7, previous=stored)
    pd.testing.assert_frame_equal(kept, stored)
    assert not reusable(stored.assign(settings_fingerprint="other"))
    assert not reusable(stored.assign(status="skipped", parameters_json=None))
    assert not reusable(None)


def test_a_level_em_never_saw_keeps_a_small_probability_splink_accepts():
    """EM may set a level's m to exactly 0 (no sampled pair there); splink refuses 0, so the
    stored model floors it."""
    from segmart.identity.linkage import PROBABILITY_FLOOR, _floored

    model = {"comparisons": [{"comparison_levels": [
        {"is_null_level": True},
        {"m_probability": 0.0, "u_probability": 0.25},
        {"m_probability": 0.7, "u_probability": 0.0},
    ]}], "probability_two_random_records_match": 0.0001}
    levels = _floored(model)["comparisons"][0]["comparison_levels"]
    assert levels[0] == {"is_null_level": True}
    assert levels[1] == {"m_probability": PROBABILITY_FLOOR, "u_probability": 0.25}
    assert levels[2] == {"m_probability": 0.7, "u_probability": PROBABILITY_FLOOR}
    assert _floored(model)["probability_two_random_records_match"] == 0.0001
