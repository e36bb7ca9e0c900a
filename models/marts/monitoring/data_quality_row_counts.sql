{#- One row per landing table: raw rows = staged rows + duplicate rows + rejected rows.
    Raw rows are counted straight from the files, the other three from the models, so a row
    lost anywhere in staging breaks the equation (tested by assert_row_counts_reconcile). -#}
{%- set tables = [
    {'name': 'events', 'source': source('tracking', 'events'), 'key': 'event_id',
     'base': ref('base_tracking__events'), 'staged': ref('stg_tracking__events'),
     'rejected': ref('stg_tracking__events_rejected'), 'optional': false,
     'columns': ['event_id']},
    {'name': 'orders', 'source': source('shop', 'orders'), 'key': 'order_line_id',
     'base': ref('base_shop__order_lines'), 'staged': ref('stg_shop__order_lines'),
     'rejected': ref('stg_shop__order_lines_rejected'), 'optional': false,
     'columns': ['order_id']},
    {'name': 'customers', 'source': source('crm', 'customers'), 'key': 'user_id',
     'base': ref('base_crm__customers'), 'staged': ref('stg_crm__customers'),
     'rejected': ref('stg_crm__customers_rejected'), 'optional': false,
     'columns': ['user_id']},
    {'name': 'deletion_requests', 'source': source('crm', 'deletion_requests'),
     'key': 'user_id', 'base': ref('base_crm__deletion_requests'),
     'staged': ref('stg_crm__deletion_requests'),
     'rejected': ref('stg_crm__deletion_requests_rejected'), 'optional': true,
     'columns': ['user_id']},
] %}

with

{% for table in tables %}
raw_{{ table.name }} as (

    select count(*) as raw_rows
    from (
        {{ landing_select(table.source, table.name, table.columns, optional=table.optional) }}
    ) as landed

),

staged_{{ table.name }} as (

    select count(*) as staged_rows from {{ table.staged }}

),

rejected_{{ table.name }} as (

    select count(*) as rejected_rows from {{ table.rejected }}

),

duplicates_{{ table.name }} as (

    -- valid rows that repeat a key already staged (superseded versions, re-deliveries)
    select count(*) - count(distinct {{ table.key }}) as duplicate_rows
    from (
        {%- if table.name == 'orders' %}
        select order_id || '-' || cast(line_number as varchar) as order_line_id
        {%- else %}
        select {{ table.key }}
        {%- endif %}
        from {{ table.base }}
        where reject_reason is null
    ) as valid_rows

),

counted_{{ table.name }} as (

    select
        '{{ table.name }}' as source_table,
        raw_{{ table.name }}.raw_rows,
        staged_{{ table.name }}.staged_rows,
        duplicates_{{ table.name }}.duplicate_rows,
        rejected_{{ table.name }}.rejected_rows
    from raw_{{ table.name }}
    cross join staged_{{ table.name }}
    cross join duplicates_{{ table.name }}
    cross join rejected_{{ table.name }}

),

{% endfor %}
unioned as (

    {% for table in tables -%}
    select * from counted_{{ table.name }}
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

final as (

    select
        source_table,
        cast(raw_rows as bigint) as raw_rows,
        cast(staged_rows as bigint) as staged_rows,
        cast(duplicate_rows as bigint) as duplicate_rows,
        cast(rejected_rows as bigint) as rejected_rows,
        raw_rows = staged_rows + duplicate_rows + rejected_rows as reconciles
    from unioned

)

select * from final
