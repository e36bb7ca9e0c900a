"""One row per person with a completed order: P(alive), expected orders and value, CLV."""

from segmart.predict.clv import (
    ClvConfig,
    customer_value_from_fits,
    features_frame,
    fits_from_table,
    to_pandas,
)


def model(dbt, session):
    config = ClvConfig.from_mapping(dbt.config.get("clv"))
    # scored with the parameters clv_model_fit recorded, so the two always agree
    bg, gg = fits_from_table(to_pandas(dbt.ref("clv_model_fit")))
    return customer_value_from_fits(features_frame(dbt.ref("user_features")), bg, gg, config)
