"""Predictions over the marts: customer value (clv) and propensity, as plain functions that
the dbt Python models in models/marts/predictions call."""
