{% macro missing_from(relation, column) -%}
    {#- This table holds every row of relation once its build inserted them, so it holds rows
        missing from relation exactly when it holds more rows: counted from the tables'
        metadata, that spares the anti-join over every key in a build that removed nothing -#}
    {%- if execute and is_incremental() -%}
        {%- set surplus = run_query(
            "select (select count(*) from " ~ this ~ ") - (select count(*) from "
            ~ relation ~ ") as surplus"
        ).columns[0].values()[0] -%}
        {%- if surplus == 0 -%}
            {{ return('false') }}
        {%- endif -%}
    {%- endif -%}
    {{ column }} not in (select {{ column }} from {{ relation }})
{%- endmacro %}
