"""Probabilistic de-duplication of CRM records with splink (Fellegi-Sunter, trained by EM).

Two records of the same person are scored on names, e-mail, phone, postal code, city and
birth year; pairs above a match probability become identity edges. The model is trained
unsupervised: u by random sampling of record pairs, m by expectation maximisation over
blocked pairs. Its parameters are a JSON dict (splink's model format) that can be stored
and passed back, so that a rebuild scores the same data the same way without retraining.

splink runs on a private in-memory DuckDB connection that is closed on return: its
intermediate tables hold personal data and must never reach the project's database file.
Design and measurements: docs/decisions/0007-crm-linkage-with-splink.md.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd

#: the input columns, all text except birth_year; e-mail lower(trim()), phone in E.164
LINKAGE_COLUMNS = ("user_id", "first_name", "last_name", "email", "phone_e164",
                   "postal_code", "city", "birth_year")
_TEXT_COLUMNS = ("first_name", "last_name", "email", "phone_e164", "postal_code", "city")
#: an e-mail or phone held by more records than this is a placeholder or a shared line
#: (shop counter, family landline): it identifies no one, so it is not compared
DEFAULT_MAX_RECORDS_PER_VALUE = 20
#: a name block (surname and birth year, or postal code and first name) held by more records
#: than this is not scored: n records make n(n-1)/2 pairs, and a block that large says more
#: about the data (one postal code for a whole country, a handful of surnames) than about
#: any person. A common surname of one birth year in a national CRM stays below it.
DEFAULT_MAX_RECORDS_PER_BLOCK = 500
#: the name blocks: a derived column per rule, null where the block is over its cap
NAME_BLOCKS = {"block_surname_year": ("last_name", "birth_year"),
               "block_place_name": ("postal_code", "first_name")}
#: the private connection's DuckDB memory cap; above it splink's joins spill to a temporary
#: directory that is removed on return. It sits beside the build's own connection (8 GB by
#: default), so together they stay within a laptop's memory.
DEFAULT_MEMORY_LIMIT = "3GB"
PAIR_COLUMNS = ("user_id_left", "user_id_right", "match_probability", "match_weight")


def empty_pairs() -> pd.DataFrame:
    """No pairs, with the columns and types of match_crm_records' pairs."""
    return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in zip(
        PAIR_COLUMNS, ("string", "string", "float64", "float64"), strict=True)})


def _settings() -> Any:
    """The untrained model: comparisons and blocking rules."""
    # splink is imported where it is used, so segmart.identity imports without it (Spark)
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import ColumnExpression, SettingsCreator, block_on

    local_part = ColumnExpression("email").regex_extract("^[^@]+")

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="user_id",
        comparisons=[
            # exact (term-frequency adjusted: a rare name is stronger evidence), then
            # Jaro-Winkler levels that take typos
            cl.NameComparison("first_name", jaro_winkler_thresholds=[0.92, 0.8]),
            cl.NameComparison("last_name", jaro_winkler_thresholds=[0.92, 0.8]),
            # no fuzzy level on e-mails: their local parts repeat the names, so a similar
            # e-mail would count the name twice
            cl.CustomComparison(
                output_column_name="email",
                comparison_levels=[
                    cll.NullLevel("email"),
                    cll.ExactMatchLevel("email", term_frequency_adjustments=True),
                    cll.ExactMatchLevel(local_part).configure(
                        label_for_charts="Exact match on the local part"),
                    cll.ElseLevel(),
                ]),
            cl.ExactMatch("phone_e164"),
            # one comparison for the place: the postal code implies the city, and two
            # comparisons would count the same evidence twice
            cl.CustomComparison(
                output_column_name="place",
                comparison_levels=[
                    cll.CustomLevel(
                        "(postal_code_l is null or postal_code_r is null) "
                        "and (city_l is null or city_r is null)").configure(
                            is_null_level=True, label_for_charts="Place missing"),
                    cll.ExactMatchLevel("postal_code", term_frequency_adjustments=True),
                    cll.ExactMatchLevel("city", term_frequency_adjustments=True),
                    cll.ElseLevel(),
                ]),
            cl.ExactMatch("birth_year"),
        ],
        # no full cross join: a pair is scored when it shares one of these
        blocking_rules_to_generate_predictions=[
            block_on("phone_e164"),
            block_on("email"),
            block_on("block_surname_year"),
            block_on("block_place_name"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=25,
        em_convergence=0.0001,
        # a fixed uid keeps splink's table names, and so the saved model, the same per run
        linker_uid="segmart",
    )


def settings_fingerprint() -> str:
    """A hash of the untrained model (comparisons, blocking rules). Stored parameters with
    another fingerprint were trained for other comparisons and must not be reused."""
    settings = _settings().create_settings_dict(sql_dialect_str="duckdb")
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare_records(records: pd.DataFrame, *,
                    max_records_per_value: int = DEFAULT_MAX_RECORDS_PER_VALUE,
                    max_records_per_block: int = DEFAULT_MAX_RECORDS_PER_BLOCK
                    ) -> pd.DataFrame:
    """The records as splink compares them: sorted by user_id, text trimmed and lower case
    (blank is null), birth_year an integer, e-mails and phones shared by more than
    max_records_per_value records set to null, and the name block keys (NAME_BLOCKS) null
    where a part is missing or the block holds more than max_records_per_block records.

    Raises ValueError when a column is missing or a user_id is null or repeated.
    """
    missing = [column for column in LINKAGE_COLUMNS if column not in records.columns]
    if missing:
        raise ValueError(f"records lack the columns {missing}")
    frame = records.loc[:, list(LINKAGE_COLUMNS)].copy()
    frame["user_id"] = frame["user_id"].astype("string")
    if frame["user_id"].isna().any() or frame["user_id"].duplicated().any():
        raise ValueError("user_id must be unique and not null")
    for column in _TEXT_COLUMNS:
        text = frame[column].astype("string").str.strip().str.lower()
        frame[column] = text.mask(text == "")
    frame["birth_year"] = pd.to_numeric(frame["birth_year"], errors="coerce").astype("Int64")
    for column in ("email", "phone_e164"):
        counts = frame[column].map(frame[column].value_counts())
        frame[column] = frame[column].mask(counts > max_records_per_value)
    for block, parts in NAME_BLOCKS.items():
        complete = frame[list(parts)].notna().all(axis=1)
        key = (frame[parts[0]].astype("string") + "|"
               + frame[parts[1]].astype("string")).where(complete)
        sizes = key.map(key.value_counts())
        frame[block] = key.mask(sizes > max_records_per_block).astype("string")
    return frame.sort_values("user_id", kind="stable").reset_index(drop=True)


class _PrivateLinker:
    """A splink Linker on its own in-memory DuckDB connection, closed on exit."""

    def __init__(self, records: pd.DataFrame, settings: Any, threads: int | None,
                 memory_limit: str = DEFAULT_MEMORY_LIMIT):
        self.records = records
        self.settings = settings
        self.threads = threads
        self.memory_limit = memory_limit

    def __enter__(self):
        from splink import DuckDBAPI, Linker

        # DuckDB's default spill directory is .tmp in the working directory: personal data
        # would be left in the project
        self.spill = tempfile.TemporaryDirectory(prefix="segmart-linkage-")
        self.connection = duckdb.connect(":memory:", config={
            "memory_limit": self.memory_limit, "temp_directory": self.spill.name})
        if self.threads:
            self.connection.execute(f"set threads = {int(self.threads)}")
        self.connection.execute("set preserve_insertion_order = true")
        db_api = DuckDBAPI(self.connection)
        table = db_api.register(self.records, dataset_display_name="crm_records")
        # splink logs progress at INFO; the caller's logging config decides what is shown
        return Linker(table, self.settings, log_level=None)

    def __exit__(self, *exc):
        self.connection.close()
        self.spill.cleanup()
        return False


# EM can drive a level's m (or u) to exactly 0 when no pair in its sample falls there;
# splink then refuses its own model. A floor keeps such a level a strong sign against a
# match instead of an impossible one.
PROBABILITY_FLOOR = 1e-6


@contextmanager
def _m_u_floored():
    """While EM runs, every m and u it estimates is at least PROBABILITY_FLOOR. EM sets a
    level's m to 0 when all its pairs' match probabilities round to 0 (pairs that share an
    e-mail and nothing else, say), and splink then refuses its own estimate."""
    from splink.internals import expectation_maximisation

    original = expectation_maximisation.m_u_records_to_lookup_dict

    def floored(records):
        lookup = original(records)
        for levels in lookup.values():
            for values in levels.values():
                for key in ("m_probability", "u_probability"):
                    if isinstance(values.get(key), (int, float)):
                        values[key] = max(values[key], PROBABILITY_FLOOR)
        return lookup

    expectation_maximisation.m_u_records_to_lookup_dict = floored
    try:
        yield
    finally:
        expectation_maximisation.m_u_records_to_lookup_dict = original


def _train(linker: Any, seed: int, max_pairs_u: float, max_pairs_em: float) -> None:
    from splink import block_on

    # the share of pairs that match, from rules that admit almost no false match
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone_e164"), block_on("email")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs_u, seed=seed)
    # each session estimates m of the comparisons outside its rule: together all of them.
    # A common last name makes a block of millions of pairs; EM needs a sample of them, drawn
    # by a hash of the ids, so the same records give the same sample
    # a session that still fails is skipped: the other sessions estimate the same
    # comparisons; with none left the model cannot be trained
    failed = []
    # EM blocks on the name columns themselves, not on the capped key: splink then knows
    # that a session's blocking columns always agree and leaves their m to other sessions
    rules = (block_on("phone_e164"), block_on("email"), block_on("last_name", "birth_year"))
    for rule in rules:
        try:
            with _m_u_floored():
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=max_pairs_em)
        except ValueError as exc:
            failed.append(str(exc))
    if len(failed) == len(rules):
        raise ValueError(f"every EM session failed: {failed[0]}")


def _rounded(value: Any, digits: int = 12) -> Any:
    """The model dict with floats rounded to significant digits, so summation order in
    parallel aggregates does not make two trainings on the same data differ in the last
    bits (and a tiny m stays above zero, which splink refuses)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {key: _rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item, digits) for item in value]
    return value


def _floored(value: Any) -> Any:
    """The model dict with every m and u probability at least PROBABILITY_FLOOR."""
    if isinstance(value, dict):
        return {key: (max(item, PROBABILITY_FLOOR)
                      if key in ("m_probability", "u_probability")
                      and isinstance(item, (int, float)) else _floored(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_floored(item) for item in value]
    return value


def train_crm_linkage(records: pd.DataFrame, *, seed: int = 7, max_pairs_u: float = 1e7,
                      max_pairs_em: float = 2e6, threads: int | None = None,
                      max_records_per_value: int = DEFAULT_MAX_RECORDS_PER_VALUE,
                      max_records_per_block: int = DEFAULT_MAX_RECORDS_PER_BLOCK,
                      memory_limit: str = DEFAULT_MEMORY_LIMIT) -> dict[str, Any]:
    """Train the linkage model on CRM records (columns LINKAGE_COLUMNS) and return its
    parameters as splink's model dict (JSON-serialisable). The same records and seed give
    the same parameters."""
    prepared = prepare_records(records, max_records_per_value=max_records_per_value,
                               max_records_per_block=max_records_per_block)
    with _PrivateLinker(prepared, _settings(), threads, memory_limit) as linker:
        _train(linker, seed, max_pairs_u, max_pairs_em)
        return _floored(_rounded(linker.misc.save_model_to_json()))


def match_crm_records(records: pd.DataFrame, *, threshold: float = 0.99,
                      parameters: Mapping[str, Any] | None = None, seed: int = 7,
                      threads: int | None = None,
                      max_records_per_value: int = DEFAULT_MAX_RECORDS_PER_VALUE,
                      max_records_per_block: int = DEFAULT_MAX_RECORDS_PER_BLOCK,
                      memory_limit: str = DEFAULT_MEMORY_LIMIT
                      ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Pairs of CRM records that are the same person, and the model that scored them.

    records: one row per user_id with the columns LINKAGE_COLUMNS. parameters: a model dict
    from an earlier call (or train_crm_linkage); when given, nothing is trained. Returns the
    pairs with match_probability >= threshold (columns PAIR_COLUMNS, user_id_left <
    user_id_right, sorted; no personal data) and the parameters used.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    caps = {"max_records_per_value": max_records_per_value,
            "max_records_per_block": max_records_per_block}
    prepared = prepare_records(records, **caps)
    model = (dict(parameters) if parameters is not None
             else train_crm_linkage(prepared, seed=seed, threads=threads,
                                    memory_limit=memory_limit, **caps))
    if len(prepared) < 2:
        return empty_pairs(), model
    with _PrivateLinker(prepared, json.loads(json.dumps(model)), threads,
                        memory_limit) as linker:
        scored = linker.inference.predict(threshold_match_probability=threshold,
                                          warning_mode="never")
        pairs = scored.as_pandas_dataframe()
    left = pairs["user_id_l"].astype("string")
    right = pairs["user_id_r"].astype("string")
    swap = left > right
    out = pd.DataFrame({
        "user_id_left": left.where(~swap, right),
        "user_id_right": right.where(~swap, left),
        "match_probability": pairs["match_probability"].astype("float64"),
        "match_weight": pairs["match_weight"].astype("float64"),
    })
    out = out[out["match_probability"] >= threshold]
    out = out.sort_values(["user_id_left", "user_id_right"], kind="stable")
    return out.reset_index(drop=True), model

