{#- The warehouse table where check_landing_files keeps one row per landed file: its size,
    modification time, column kinds and the reason it is rejected (null when accepted).
    Kept across builds (never dropped by --full-refresh): it is how a build knows which
    files it has checked already. -#}
{% macro landing_file_checks_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema='main', identifier='segmart_landing_file_checks'
    )) }}
{%- endmacro %}
