{#- One row per person per day counted back from as_of (day 0: as_of - 1 day < t <= as_of),
    so "in the last N days" is days_before_as_of < N. Rebuilt every build from the stored hours
    of int_user_hours_aggregated, reading single events only for the hour of day as_of
    splits: docs/incremental.md. -#}
{{ user_days_at(
    as_of=ref('int_as_of_resolved'),
    hours=ref('int_user_hours_aggregated'),
    events=ref('int_events_sessionized'),
    sessions=ref('int_sessions_aggregated'),
    orders=ref('int_orders_aggregated'),
) }}
