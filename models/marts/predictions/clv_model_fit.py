"""One row per customer-value model (bg_nbd, gamma_gamma) and build: status, parameters, fit."""

from segmart.predict.clv import ClvConfig, clv_model_fit_table, features_frame


def model(dbt, session):
    config = ClvConfig.from_mapping(dbt.config.get("clv"))
    return clv_model_fit_table(features_frame(dbt.ref("user_features")), config)
