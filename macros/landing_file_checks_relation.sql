{% macro landing_file_checks_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema='main', identifier='segmart_landing_file_checks'
    )) }}
{%- endmacro %}
