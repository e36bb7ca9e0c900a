{% macro as_of_literal() -%}
    {%- set raw = var('as_of') | string | trim -%}
    {%- if raw | lower == 'latest' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set pattern = '^(\\d{4})-(\\d{2})-(\\d{2})'
        ~ '(?:[ T](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,6}))?)?)?Z?$' -%}
    {%- set found = modules.re.match(pattern, raw) -%}
    {%- set valid = found is not none -%}
    {%- if valid -%}
        {%- set year = found.group(1) | int -%}
        {%- set month = found.group(2) | int -%}
        {%- set day = found.group(3) | int -%}
        {%- set hour = (found.group(4) or '0') | int -%}
        {%- set minute = (found.group(5) or '0') | int -%}
        {%- set second = (found.group(6) or '0') | int -%}
        {%- set fraction = (found.group(7) or '0') -%}
        {%- set leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) -%}
        {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- set valid = 1 <= month <= 12 and hour <= 23 and minute <= 59 and second <= 59
            and 1 <= day <= month_days[month - 1] -%}
    {%- endif -%}
    {%- if not valid -%}
        {{ exceptions.raise_compiler_error(
            "var 'as_of' must be 'latest' or a UTC timestamp such as '2025-01-01' or "
            ~ "'2025-01-01 06:00:00'; got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return("cast('%04d-%02d-%02d %02d:%02d:%02d.%s' as timestamp)"
        | format(year, month, day, hour, minute, second, fraction)) }}
{%- endmacro %}
