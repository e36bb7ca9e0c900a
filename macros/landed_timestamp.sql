{% macro landed_timestamp(field) -%}
    {{ return(adapter.dispatch('landed_timestamp', 'segmart')(field)) }}
{%- endmacro %}

{#- Other engines (Spark): try_cast to the engine's timestamp through safe_cast, whose
    timestamptz is Spark's timestamp (an instant in the session time zone, UTC). -#}
{% macro default__landed_timestamp(field) -%}
    cast({{ dbt.safe_cast(field, 'timestamptz') }} as timestamp)
{%- endmacro %}

{#- A column that already is a timestamp (or date) without a zone, Parquet's usual, is cast:
    the round trip through timestamptz gives the same value at UTC but converts every row
    with the time zone library (about 2 s per 10 M rows). typeof() is a constant of the
    column's type, so DuckDB drops the branch that does not apply when it plans the query. -#}
{% macro duckdb__landed_timestamp(field) -%}
    case
        when typeof({{ field }}) in (
            'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE'
        ) then try_cast({{ field }} as timestamp)
        else cast(try_cast({{ field }} as timestamptz) as timestamp)
    end
{%- endmacro %}
