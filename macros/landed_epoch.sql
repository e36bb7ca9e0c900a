{% macro landed_epoch(field) -%}
    {{ return(adapter.dispatch('landed_epoch', 'segmart')(field)) }}
{%- endmacro %}

{% macro default__landed_epoch(field) -%}
    case
        when {{ matches_regex('trim(cast(' ~ field ~ ' as string))', '^-?[0-9]+$') }}
            then {{ dbt.safe_cast('trim(cast(' ~ field ~ ' as string))', 'decimal(38, 0)') }}
    end
{%- endmacro %}

{#- typeof() is a constant of the column's type: a timestamp column skips the text test -#}
{% macro duckdb__landed_epoch(field) -%}
    case
        when typeof({{ field }}) in (
            'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE',
            'TIMESTAMP WITH TIME ZONE'
        ) then null
        when typeof({{ field }}) in (
            'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT',
            'UINTEGER', 'UBIGINT'
        ) then try_cast({{ field }} as hugeint)
        else list_transform(
            [trim(cast({{ field }} as varchar))],
            lambda landed: case
                when regexp_full_match(landed, '-?[0-9]{1,38}') then try_cast(landed as hugeint)
            end
        )[1]
    end
{%- endmacro %}

{#- The timestamp (UTC) of `epoch` (from landed_epoch), its unit told by its number of
    digits: 9 to 11 digits are seconds, 12 to 14 milliseconds, 15 to 17 microseconds, 18 to
    20 nanoseconds. Each band starts at 1973-03-03 09:46:40 UTC and ends before 5138-11-16;
    an integer outside every band (fewer than 9 digits, negative, more than 20) is out of
    range and gives null (the base models reject the row as out_of_range_<column>). -#}
{% macro landed_epoch_timestamp(epoch) -%}
    {{ return(adapter.dispatch('landed_epoch_timestamp', 'segmart')(epoch)) }}
{%- endmacro %}

{% macro default__landed_epoch_timestamp(epoch) -%}
    {{ unsupported_adapter('landed_epoch_timestamp') }}
{%- endmacro %}

{#- the lambda names the epoch once, so its expression is not repeated in every band -#}
{% macro duckdb__landed_epoch_timestamp(epoch) -%}
    list_transform([{{ epoch }}], lambda epoch: case
        when epoch >= 100000000 and epoch < 100000000000
            then make_timestamp(cast(epoch * 1000000 as bigint))
        when epoch >= 100000000000 and epoch < 100000000000000
            then make_timestamp(cast(epoch * 1000 as bigint))
        when epoch >= 100000000000000 and epoch < 100000000000000000
            then make_timestamp(cast(epoch as bigint))
        when epoch >= 100000000000000000 and epoch < 100000000000000000000
            then make_timestamp(cast(epoch // 1000 as bigint))
    end)[1]
{%- endmacro %}

{% macro spark__landed_epoch_timestamp(epoch) -%}
    case
        when {{ epoch }} >= 100000000 and {{ epoch }} < 100000000000
            then timestamp_micros(cast({{ epoch }} * 1000000 as bigint))
        when {{ epoch }} >= 100000000000 and {{ epoch }} < 100000000000000
            then timestamp_micros(cast({{ epoch }} * 1000 as bigint))
        when {{ epoch }} >= 100000000000000 and {{ epoch }} < 100000000000000000
            then timestamp_micros(cast({{ epoch }} as bigint))
        when {{ epoch }} >= 100000000000000000 and {{ epoch }} < 100000000000000000000
            then timestamp_micros(cast(floor({{ epoch }} / 1000) as bigint))
    end
{%- endmacro %}

{% macro landed_epoch_out_of_range(field) -%}
    {{ return(adapter.dispatch('landed_epoch_out_of_range', 'segmart')(field)) }}
{%- endmacro %}

{% macro default__landed_epoch_out_of_range(field) -%}
    coalesce(
        {{ landed_epoch(field) }} is not null
        and {{ landed_epoch_timestamp(landed_epoch(field)) }} is null,
        false
    )
{%- endmacro %}

{% macro duckdb__landed_epoch_out_of_range(field) -%}
    coalesce(list_transform([{{ landed_epoch(field) }}], lambda epoch:
        epoch is not null and {{ landed_epoch_timestamp('epoch') }} is null
    )[1], false)
{%- endmacro %}
