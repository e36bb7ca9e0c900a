{#- One row per landed file: raw = valid + rejected + erased rows, and the duplicates
    (landing_file_row_counts). A daily build counts the event files it has not counted, those
    whose stored rows changed and every file after the first of these by name, and the small
    tables in full; every file again when the erasure list grew, with segmart_test_scope
    'full' and on a full refresh. docs/incremental.md -#}
{{ config(
    on_schema_change='fail',
    post_hook=[
        "{{ incremental_delete(\"source_table <> 'events' and counted_at < \"
            ~ build_started_at()) }}",
    ],
    **file_batch_table_config(['source_table', 'source_file'])
) }}
{%- set erased_records = ref('stg_crm__erased_records') %}
{%- set event_files = none %}
{%- if is_incremental() and var('segmart_test_scope') | string | trim | lower != 'full' %}
    {%- set erasure_list_grew = run_query(
        "select count(*) from " ~ this ~ " where count_erased_records <> "
        ~ "(select count(*) from " ~ erased_records ~ ")"
    ).columns[0].values()[0] > 0 %}
    {%- if not erasure_list_grew %}
        {%- set counted = run_query(
            "select distinct source_file from " ~ this ~ " where source_table = 'events'"
        ).columns[0].values() | list %}
        {#- and the counted files whose rows in the base model changed since: staged again
            (a due future row), or deleted (a device found to be an erased person's) #}
        {%- set changed = run_query(
            "select counted.source_file from " ~ this ~ " as counted left join ("
            ~ "select source_file, count(case when reject_reason is null then 1 end) as valid,"
            ~ " count(reject_reason) as rejected from " ~ ref('base_tracking__events')
            ~ " group by source_file) as stored on counted.source_file = stored.source_file"
            ~ " where counted.source_table = 'events' and (coalesce(stored.valid, 0)"
            ~ " <> counted.valid_rows or coalesce(stored.rejected, 0) <> counted.rejected_rows)"
        ).columns[0].values() | list %}
        {#- and every file that sorts after the first of those: the first file holding a
            key, where its duplicates are not counted, may be another one now #}
        {%- set landed = landing_files('events') %}
        {%- set recount = (landed | reject('in', counted) | list) + changed %}
        {%- set event_files = [] %}
        {%- if recount %}
            {%- set first = recount | min %}
            {%- set event_files = (landed + changed) | select('>=', first) | unique | sort %}
        {%- endif %}
    {%- endif %}
{%- endif %}

with

{% for table in landing_tables() %}
    {{ table.name }} as (

        {{ landing_file_row_counts(
            table.name, source(*table.source), ref(table.base), table.key,
            identity_columns=table.identity_columns, optional=table.optional,
            files=event_files if table.name == 'events' else none,
        ) }}

    ),

{% endfor %}
unioned as (

    {{ union_all_of(landing_tables() | map(attribute='name')) }}

),

erasure_list as (

    select count(*) as count_erased_records
    from {{ erased_records }}

),

final as (

    select
        unioned.source_table,
        unioned.source_file,
        cast(unioned.raw_rows as bigint) as raw_rows,
        cast(unioned.valid_rows as bigint) as valid_rows,
        cast(unioned.rejected_rows as bigint) as rejected_rows,
        cast(unioned.duplicate_rows as bigint) as duplicate_rows,
        cast(unioned.erased_rows as bigint) as erased_rows,
        unioned.raw_rows = unioned.valid_rows + unioned.rejected_rows + unioned.erased_rows
            as reconciles,
        cast(erasure_list.count_erased_records as bigint) as count_erased_records,
        {{ build_started_at() }} as counted_at
    from unioned
    cross join erasure_list

)

select * from final
