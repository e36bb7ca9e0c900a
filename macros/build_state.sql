{% macro build_state_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema='main', identifier='segmart_build_state'
    )) }}
{%- endmacro %}

{% macro forget_build_state() -%}
    {%- if execute and adapter.type() == 'duckdb'
            and flags.WHICH in ('build', 'run', 'test', 'seed', 'snapshot', 'clone') -%}
        {%- do run_query("drop table if exists " ~ build_state_relation()) -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro record_build_state(results) -%}
    {%- if execute and adapter.type() == 'duckdb' and flags.WHICH == 'build' -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error'])
            | list -%}
        {%- set events = stored_model_relation('base_tracking__events') -%}
        {%- set orders = stored_model_relation('base_shop__order_lines') -%}
        {%- if not failed and events is not none and orders is not none -%}
            {%- set tolerance = var('segmart_future_tolerance_hours') -%}
            {#- A row staged as occurred_in_future is read again once it is within the
                tolerance of the build's clock; a rejected file is checked again by every
                build. Either is a change that needs no new file, so it ends the skip. -#}
            {%- set sql -%}
                create or replace table {{ build_state_relation() }} as
                with

                future_rows as (

                    select min(occurred_at) as first_due_row_at
                    from {{ events }}
                    where reject_reason = 'occurred_in_future'
                    union all
                    select min(ordered_at)
                    from {{ orders }}
                    where reject_reason = 'ordered_in_future'

                ),

                rejected_files as (

                    select count(*) as files
                    from {{ landing_file_checks_relation() }}
                    where reason is not null

                )

                select
                    {{ build_started_at() }} as built_at,
                    '{{ invocation_id }}' as invocation_id,
                    case
                        when (select files from rejected_files) > 0 then {{ build_started_at() }}
                        else {{ dbt.dateadd('hour', '-(' ~ tolerance ~ ')',
                            '(select min(first_due_row_at) from future_rows)') }}
                    end as due_at,
                    cast(null as varchar) as inputs
            {%- endset -%}
            {%- do run_query(sql) -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
