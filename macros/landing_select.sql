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
    select * from {{ relation }}
{%- endmacro %}

{% macro duckdb__landing_select(relation, table_name, columns, optional=false) -%}
    {%- set has_files = true -%}
    {%- if optional and execute -%}
        {%- set found = run_query(
            "select count(*) from glob('" ~ landing_path(table_name) ~ "/**/*.parquet')"
        ) -%}
        {%- set has_files = found.columns[0].values()[0] > 0 -%}
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
