{#- on-run-start (from check_landing_zone): check every new, changed or rejected landed
    file and keep the outcome in landing_file_checks_relation(), one row per file under a
    landing table's folder. A file is checked again when its size or modification time
    changes, when it was rejected (so a finished upload is taken in by the next build), or
    when the check itself changed (`version`); an accepted file that has not changed is not
    opened again. A check reads the file's first and last bytes and its Parquet footer,
    never its data (segmart.landing_checks). Files and folders whose name starts with `.` or
    `_` (`_SUCCESS`, `.part-0.crc`, `_temporary/`) are not landed files and are ignored.
    Spark and other engines check nothing (docs/input-contract.md). -#}
{% macro check_landing_files() -%}
    {{ return(adapter.dispatch('check_landing_files', 'segmart')()) }}
{%- endmacro %}

{% macro default__check_landing_files() -%}
{%- endmacro %}

{% macro duckdb__check_landing_files() -%}
    {%- set version = 1 -%}
    {%- set relation = landing_file_checks_relation() -%}
    {%- set function_name = 'segmart_check_landing_file' -%}
    {%- set registered = run_query(
        "select count(*) from duckdb_functions() where function_name = '" ~ function_name
        ~ "'").columns[0].values()[0] -%}
    {%- if registered == 0 -%}
        {{ exceptions.raise_compiler_error(
            "segmart: the DuckDB function " ~ function_name ~ "() is missing: add the "
            ~ "plugin to your dbt profile's duckdb output:  plugins: [{module: "
            ~ "segmart.landing_checks}]  (see the committed profiles.yml)") }}
    {%- endif -%}
    {%- set root = landing_path('') -%}
    {%- set contracts = landing_contract() -%}
    {%- set quoted_root = root | replace("'", "''") -%}
    {%- set now = build_started_at() -%}
    {%- do run_query(
        "create table if not exists " ~ relation ~ " (table_name varchar, file varchar, "
        ~ "path varchar, size_bytes bigint, modified_at timestamp, reason varchar, "
        ~ "column_kinds varchar, check_version integer, first_seen_at timestamp, "
        ~ "first_rejected_at timestamp, checked_at timestamp)"
    ) -%}
    {%- set sql -%}
        create or replace table {{ relation }} as
        with

        listed as (

            -- read_blob without its content column lists files without reading them
            select
                filename as path,
                substr(filename, {{ root | length + 1 }}) as table_path,
                size as size_bytes,
                cast(last_modified as timestamp) as modified_at
            from read_blob('{{ quoted_root }}*/**')

        ),

        landed as (

            select
                split_part(table_path, '/', 1) as table_name,
                substr(table_path, length(split_part(table_path, '/', 1)) + 2) as file,
                path,
                size_bytes,
                modified_at
            from listed
            where
                split_part(table_path, '/', 1) in (
                    '{{ contracts.keys() | list | sort | join("', '") }}'
                )
                and not regexp_matches(table_path, '(^|/)[._][^/]*')

        ),

        stored as (

            select * from {{ relation }}

        ),

        to_check as (

            select landed.path, landed.table_name
            from landed
            left join stored
                on landed.path = stored.path
            where
                stored.path is null
                or stored.reason is not null
                or stored.size_bytes != landed.size_bytes
                or stored.modified_at != landed.modified_at
                or stored.check_version != {{ version }}

        ),

        checked as (

            select
                path,
                {{ function_name }}(
                    path, table_name, '{{ tojson(contracts) | replace("'", "''") }}'
                ) as result
            from to_check

        ),

        final as (

            select
                landed.table_name,
                landed.file,
                landed.path,
                landed.size_bytes,
                landed.modified_at,
                case
                    when checked.path is null then stored.reason
                    else json_extract_string(checked.result, '$.reason')
                end as reason,
                case
                    when checked.path is null then stored.column_kinds
                    else json_extract(checked.result, '$.kinds')::varchar
                end as column_kinds,
                {{ version }} as check_version,
                coalesce(stored.first_seen_at, {{ now }}) as first_seen_at,
                coalesce(stored.reason is not null, false) as was_rejected,
                stored.first_rejected_at,
                case
                    when checked.path is null then stored.checked_at else {{ now }}
                end as checked_at
            from landed
            left join stored
                on landed.path = stored.path
            left join checked
                on landed.path = checked.path

        )

        select
            table_name,
            file,
            path,
            size_bytes,
            modified_at,
            reason,
            column_kinds,
            check_version,
            first_seen_at,
            case
                when reason is null then null
                when was_rejected then coalesce(first_rejected_at, {{ now }})
                else {{ now }}
            end as first_rejected_at,
            checked_at
        from final
        order by table_name, file
    {%- endset -%}
    {%- do run_query(sql) -%}
{%- endmacro %}
