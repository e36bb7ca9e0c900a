{% macro is_part_of_day(hour_expression, part_of_day) -%}
    {%- if part_of_day not in ('morning', 'evening') -%}
        {{ exceptions.raise_compiler_error(
            "is_part_of_day: part_of_day must be 'morning' or 'evening', got '"
            ~ part_of_day ~ "'") }}
    {%- endif -%}
    ({{ hour_expression }} >= {{ var('segmart_' ~ part_of_day ~ '_start_hour') }}
    and {{ hour_expression }} < {{ var('segmart_' ~ part_of_day ~ '_end_hour') }})
{%- endmacro %}
