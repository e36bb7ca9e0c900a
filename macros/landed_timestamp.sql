{% macro landed_timestamp(field) -%}
    {{ return(adapter.dispatch('landed_timestamp', 'segmart')(field)) }}
{%- endmacro %}

{#- Other engines (Spark): an epoch integer by its digits, else try_cast to the engine's
    timestamp through safe_cast, whose timestamptz is Spark's timestamp (UTC). -#}
{% macro default__landed_timestamp(field) -%}
    case
        when {{ landed_epoch(field) }} is not null
            then {{ landed_epoch_timestamp(landed_epoch(field)) }}
        else cast({{ dbt.safe_cast(field, 'timestamptz') }} as timestamp)
    end
{%- endmacro %}

{#- A column that already is a timestamp (or date) without a zone, Parquet's usual, is cast:
    the round trip through timestamptz gives the same value at UTC but converts every row
    with the time zone library (about 2 s per 10 M rows). typeof() is a constant of the
    column's type, so DuckDB drops the branches that do not apply when it plans the query.
    A text is parsed as a time first; only a text that does not parse is tested for digits,
    so ISO texts pay nothing for epochs. -#}
{% macro duckdb__landed_timestamp(field) -%}
    case
        when typeof({{ field }}) in (
            'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE'
        ) then try_cast({{ field }} as timestamp)
        when typeof({{ field }}) in (
            'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT',
            'UINTEGER', 'UBIGINT'
        ) then {{ landed_epoch_timestamp('try_cast(' ~ field ~ ' as hugeint)') }}
        else coalesce(
            cast(try_cast({{ field }} as timestamptz) as timestamp),
            {{ landed_epoch_timestamp(landed_epoch(field)) }}
        )
    end
{%- endmacro %}
