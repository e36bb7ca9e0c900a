{#- The landing files an incremental staging table (`relation`, with a source_file column)
    reads in this build: the files of `table_name` it has not stored yet, and the files of
    the stored rows that `redo_condition` selects (rows whose verdict depends on the build's
    time, such as an occurred_in_future row whose time has come, so they are judged again).
    The predicate must select every stored row whose verdict may differ now. Landed files are
    never rewritten in place (README, Incremental builds); a stored file that is no longer in
    the landing zone, or no longer accepted (check_landing_files), stops the build, since the
    table would hold rows that a full refresh drops. -#}
{% macro landing_batch_files(table_name, relation, redo_condition=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set landed = landing_files(table_name) -%}
    {%- set stored = run_query(
        "select distinct source_file from " ~ relation ~ " order by 1"
    ).columns[0].values() | list -%}
    {%- set gone = stored | reject('in', landed) | list -%}
    {%- if gone -%}
        {{ exceptions.raise_compiler_error(
            "segmart: " ~ relation ~ " holds rows of " ~ gone | length ~ " file(s) no longer "
            ~ "under '" ~ landing_path(table_name) ~ "/', or rejected since (model "
            ~ "landing_files_rejected) (first: '" ~ gone[0] ~ "'). Landed "
            ~ "files must stay where they landed, unchanged; if SEGMART_RAW_DIR moved or files "
            ~ "were removed on purpose, rebuild with: dbt build --full-refresh") }}
    {%- endif -%}
    {%- set batch = landed | reject('in', stored) | list -%}
    {%- if redo_condition -%}
        {%- set redo = run_query(
            "select distinct source_file from " ~ relation ~ " where " ~ redo_condition
        ).columns[0].values() | list -%}
        {%- set batch = (batch + redo) | unique | sort -%}
    {%- endif -%}
    {{ return(batch) }}
{%- endmacro %}
