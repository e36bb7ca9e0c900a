{#- The newest value of a timestamp column of the model's stored table ({{ this }}), for an
    incremental build's "written since" filter: 1900-01-01 when the table is empty.

    Read once when the model runs and given to the engine as a literal, not as a scalar
    subquery: with a subquery, DuckDB cannot know how few rows pass the filter when it plans
    the query (it plans for all of them, and at 10 M events built the hash table of a join
    on the stored side: 3.4 s instead of 0.4 s). Skipping the row groups written before
    works either way. While parsing, and in a unit test (where `this` is a fixture, not a
    table), it is the subquery. -#}
{% macro newest_stored(column) -%}
    {%- set empty = "cast('1900-01-01' as timestamp)" -%}
    {%- if execute and this is not string -%}
        {%- set found = run_query(
            "select cast(max(" ~ column ~ ") as " ~ dbt.type_string() ~ ") as newest from "
            ~ this) -%}
        {%- set newest = found.columns[0].values()[0] -%}
        {%- if newest is none -%}
            {{ return(empty) }}
        {%- elif newest is string -%}
            {{ return("cast('" ~ newest ~ "' as timestamp)") }}
        {%- else -%}
            {#- agate reads a timestamp-like string as a (naive) datetime: the same wall clock -#}
            {{ return("cast('" ~ newest.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as timestamp)") }}
        {%- endif -%}
    {%- endif -%}
    {{ return("(select coalesce(max(" ~ column ~ "), " ~ empty ~ ") from " ~ this ~ ")") }}
{%- endmacro %}
