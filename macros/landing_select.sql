{#- Select a landing table with every contract column present: a column that no file has reads
    as null, extra columns pass through (models pick what they need), and the file each row came
    from is kept as `filename`, relative to the table's landing folder (`load-1.parquet`,
    `date=2025-01-01/part-0.parquet`): the same on every engine and wherever the landing zone is
    mounted. On DuckDB only the files check_landing_files accepted are read (none: no rows;
    `optional` matters on Spark only). With `files` (a list of paths from landing_files) only
    those files are read, none when the list is empty: the incremental staging tables read just
    the files they have not stored yet (landing_batch_files).
-#}
{% macro landing_select(relation, table_name, columns, optional=false, files=none) -%}
    {{ return(adapter.dispatch('landing_select', 'segmart')(
        relation, table_name, columns, optional, files)) }}
{%- endmacro %}

{% macro default__landing_select(relation, table_name, columns, optional=false,
                                 files=none) -%}
    {{ unsupported_adapter('landing_select') }}
{%- endmacro %}

{% macro duckdb__landing_select(relation, table_name, columns, optional=false,
                                files=none) -%}
    {#- the accepted files only (check_landing_files), all of them or those in `files`; a
        column whose kind differs between them (an integer time in one file, a timestamp in
        another) is read as text from each, so the files unite whatever their types -#}
    {#- a unit test gives the source as a fixture CTE: read that, not the files -#}
    {%- set is_fixture = files is none and (relation | string).startswith('__dbt__cte__') -%}
    {%- set accepted = [] if is_fixture else landing_accepted_files(table_name) -%}
    {%- if files is not none -%}
        {%- set accepted = accepted | selectattr('file', 'in', files) | list -%}
    {%- endif -%}
    {%- set groups = landing_type_groups(accepted) -%}
    select * replace ({{ landing_relative_path('filename', table_name) }} as filename)
    from (
        select
            {%- for column in columns %}
            null as {{ column }},
            {%- endfor %}
            null as filename
        where false
        {%- for group in groups %}
        {#- the source's own reader options (sources.yml), on the listed files #}
        union all by name
        select *
            {%- if group.as_text %} replace (
            {%- for column in group.as_text %}
                cast("{{ column }}" as varchar) as "{{ column }}"
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
            ){%- endif %}
        from read_parquet([
            {%- for file in group.files %}
            '{{ (landing_path(table_name) ~ '/' ~ file) | replace("'", "''") }}'
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ], union_by_name = true, filename = true)
        {%- endfor %}
        {%- if is_fixture %}
        union all by name
        select * from {{ relation }}
        {%- endif %}
    ) as landed
{%- endmacro %}

{% macro spark__landing_select(relation, table_name, columns, optional=false, files=none) -%}
    {#- `files` is never given on Spark: its staging tables are rebuilt in full there
        (file_batch_table_config), reading every file -#}
    {#- register_landing_tables made the table over the folder's files (with the union of
        their columns) unless the folder has none -#}
    {%- set present = [] -%}
    {%- set has_files = true -%}
    {%- if execute -%}
        {%- set has_files = not optional or landing_file_counts().get(table_name, 0) > 0 -%}
        {%- if has_files -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if has_files %}
    select
        {%- for column in columns if column | lower not in present %}
        cast(null as string) as {{ column }},
        {%- endfor %}
        landed.*,
        {{ landing_relative_path('landed._metadata.file_path', table_name) }} as filename
    from {{ relation }} as landed
    {%- else %}
    select
        {%- for column in columns %}
        cast(null as string) as {{ column }},
        {%- endfor %}
        cast(null as string) as filename
    where false
    {%- endif %}
{%- endmacro %}
