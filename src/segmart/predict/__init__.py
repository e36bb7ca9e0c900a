"""Predictive models over the marts: customer value (buy-till-you-die) in `clv`."""
