{#- dbt.safe_cast on DuckDB: try_cast, null for a value that will not cast (dbt's own default
    raises on DuckDB). dbt.safe_cast with null for what will not cast. dbt's default raises on
    DuckDB; try_cast returns null on both engines. `timestamptz` (a text with an offset, or a
    UTC instant) is DuckDB's type; Spark's `timestamp` already is an instant in the session time
    zone (UTC). -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- dbt.safe_cast on Spark: try_cast, with DuckDB's timestamptz read as Spark's timestamp (an
    instant in the session time zone, UTC). -#}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ 'timestamp' if type | lower == 'timestamptz' else type }})
{%- endmacro %}
