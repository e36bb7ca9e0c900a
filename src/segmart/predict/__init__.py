"""Predictive models over the marts: customer value (buy-till-you-die) in `clv`, purchase and
churn propensity in `propensity`, lookalikes in `lookalike`; the dbt Python models in
models/marts/predictions call them."""
