{#-
    Select a landing table with every contract column present: a column that no file has
    reads as null, extra columns pass through (models pick what they need), and the file each
    row came from is kept as `filename`, relative to the table's landing folder
    (`load-1.parquet`, `date=2025-01-01/part-0.parquet`): the same on every engine and
    wherever the landing zone is mounted. With optional=true a landing folder without files
    gives no rows instead of an error. With `files` (a list of paths from landing_files) only
    those files are read, none when the list is empty: the incremental staging tables read
    just the files they have not stored yet (landing_batch_files).
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
    {%- set has_files = true -%}
    {%- if files is not none -%}
        {%- set has_files = files | length > 0 -%}
    {%- elif optional and execute -%}
        {%- set has_files = landing_file_counts().get(table_name, 0) > 0 -%}
    {%- endif -%}
    select * replace ({{ landing_relative_path('filename', table_name) }} as filename)
    from (
        select
            {%- for column in columns %}
            null as {{ column }},
            {%- endfor %}
            null as filename
        where false
        {%- if has_files and files is not none %}
        {#- the source's own reader options (sources.yml), on the listed files #}
        union all by name
        select * from read_parquet([
            {%- for file in files %}
            '{{ (landing_path(table_name) ~ '/' ~ file) | replace("'", "''") }}'
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ], union_by_name = true, filename = true)
        {%- elif has_files %}
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
