{% macro erased_rows_condition(relation, base, login_column='user_id') -%}
    {%- set requests = ref('stg_crm__erased_records') -%}
    user_id in (select user_id from {{ requests }})
    or anonymous_id in (
        select anonymous_id from {{ relation }}
        where {{ login_column }} in (select user_id from {{ requests }})
    )
    {#- a login as an erased person is dropped on the way in, so no stored row shows that its
        device is theirs: the event files this build read show it -#}
    {%- set files = event_files_read_this_build(base) if is_incremental() else [] %}
    {%- if files %}
    or anonymous_id in (
        select {{ clean_identity('landed.anonymous_id') }}
        from (
            {{ landing_select(source('tracking', 'events'), 'events',
                ['anonymous_id', 'user_id'], files=files) }}
        ) as landed
        inner join {{ requests }} as requests
            on trim(cast(landed.user_id as string)) = requests.user_id
    )
    {%- endif %}
{%- endmacro %}

{#- Read from base_tracking__events after it ran: a file counts when a row of it was staged
    at this build's time or when no row of it is stored. -#}
{% macro event_files_read_this_build(base) -%}
    {#- a unit test's fixture (a CTE) has no files -#}
    {%- if not execute or target.type != 'duckdb' or (base | string).startswith('__dbt__cte__')
        or load_relation(base) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set stored = run_query(
        "select source_file, max(staged_at) = " ~ build_started_at() ~ " as is_staged_now"
        ~ " from " ~ base ~ " group by source_file"
    ) -%}
    {%- set stored_files = stored.columns[0].values() | list -%}
    {%- set staged_now = [] -%}
    {%- for row in stored.rows if row[1] -%}
        {%- do staged_now.append(row[0]) -%}
    {%- endfor -%}
    {{ return((staged_now + (landing_files('events') | reject('in', stored_files) | list))
        | unique | sort) }}
{%- endmacro %}
