{#-
    Select a landing table with every contract column present: a column that no file has
    reads as null, extra columns pass through (models pick what they need), and the file each
    row came from is kept as `filename`. With optional=true a landing folder without files
    gives no rows instead of an error.
-#}
{% macro landing_select(relation, table_name, columns, optional=false) -%}
    {{ return(adapter.dispatch('landing_select', 'segmart')(relation, table_name, columns, optional)) }}
{%- endmacro %}

{% macro default__landing_select(relation, table_name, columns, optional=false) -%}
    {{ unsupported_adapter('landing_select') }}
{%- endmacro %}

{% macro duckdb__landing_select(relation, table_name, columns, optional=false) -%}
    {%- set has_files = true -%}
    {%- if optional and execute -%}
        {%- set has_files = landing_file_counts().get(table_name, 0) > 0 -%}
    {%- endif -%}
    select
        {%- for column in columns %}
        null as {{ column }},
        {%- endfor %}
        null as filename
    where false
    {%- if has_files %}
    union all by name
    select * from {{ relation }}
    {%- endif %}
{%- endmacro %}

{% macro spark__landing_select(relation, table_name, columns, optional=false) -%}
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
        regexp_replace(landed._metadata.file_path, '^file:', '') as filename
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
