{#- Nine digits: enough to tell subscribers apart, few enough that a national trunk prefix
    or a country code never reaches them. -#}
{% macro phone_digits(expression) -%}
    {{ return(adapter.dispatch('phone_digits', 'segmart')(expression)) }}
{%- endmacro %}

{#- Spark: regexp_replace replaces every match. -#}
{% macro default__phone_digits(expression) -%}
    case
        when length(regexp_replace(cast({{ expression }} as string), '[^0-9]', '')) >= 7
            then right(regexp_replace(cast({{ expression }} as string), '[^0-9]', ''), 9)
    end
{%- endmacro %}

{#- DuckDB: the 'g' flag replaces every match, not the first. -#}
{% macro duckdb__phone_digits(expression) -%}
    case
        when length(regexp_replace(cast({{ expression }} as string), '[^0-9]', '', 'g')) >= 7
            then right(regexp_replace(cast({{ expression }} as string), '[^0-9]', '', 'g'), 9)
    end
{%- endmacro %}
