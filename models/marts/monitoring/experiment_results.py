"""One row per segment: conversion in treatment vs control, lift, z-test and 95 % interval."""

from segmart.clustering import to_pandas
from segmart.experiments import results_table


def model(dbt, session):
    holdouts = to_pandas(dbt.ref("segment_holdouts").project("segment, user_id, holdout_group"))
    outcomes = to_pandas(dbt.ref("stg_campaigns__campaign_outcomes").project("segment, user_id"))
    return results_table(holdouts, outcomes, min_sample=int(dbt.config.get("min_sample")))
