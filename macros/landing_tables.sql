{#- The landing tables with the models that stage them, for the models that follow every
    row of every table (data_quality_file_row_counts, data_quality_row_counts). Names, not
    relations, so that each model refs only the ones it reads. `identity_columns` are the
    columns that name a person to erase; `key` is the staging key. -#}
{% macro landing_tables() -%}
    {{ return([
        {
            'name': 'events', 'source': ['tracking', 'events'],
            'base': 'base_tracking__events', 'staged': 'stg_tracking__events',
            'key': 'event_id', 'identity_columns': ['user_id', 'anonymous_id'],
            'optional': false,
        },
        {
            'name': 'orders', 'source': ['shop', 'orders'],
            'base': 'base_shop__order_lines', 'staged': 'stg_shop__order_lines',
            'key': "order_id || '-' || cast(line_number as string)",
            'identity_columns': ['user_id'], 'optional': false,
        },
        {
            'name': 'customers', 'source': ['crm', 'customers'],
            'base': 'base_crm__customers', 'staged': 'stg_crm__customers',
            'key': 'user_id', 'identity_columns': ['user_id'], 'optional': false,
        },
        {
            'name': 'deletion_requests', 'source': ['crm', 'deletion_requests'],
            'base': 'base_crm__deletion_requests', 'staged': 'stg_crm__deletion_requests',
            'key': 'user_id', 'identity_columns': [], 'optional': true,
        },
        {
            'name': 'campaign_outcomes', 'source': ['campaigns', 'campaign_outcomes'],
            'base': 'base_campaigns__campaign_outcomes',
            'staged': 'stg_campaigns__campaign_outcomes',
            'key': "segment || '|' || user_id", 'identity_columns': ['user_id'],
            'optional': true,
        },
    ]) }}
{%- endmacro %}
