{#- One row per person (as in user_profiles), evaluated at as_of: windowed activity, orders
    and revenue, RFM scores and segment, and the BTYD summary of lifetimes'
    summary_data_from_transaction_data (daily periods, observation end = the as_of date). -#}
{{ user_features_at(
    as_of=ref('int_as_of_resolved'),
    persons=ref('user_profiles'),
    user_days=ref('int_user_days_aggregated'),
    orders=ref('int_orders_aggregated'),
) }}
