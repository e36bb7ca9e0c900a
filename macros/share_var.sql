{% macro share_var(name) -%}
    {%- set text = var(name) | string | trim -%}
    {%- if not modules.re.match('^(0(\\.\\d+)?|1(\\.0+)?|\\.\\d+)$', text) -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be a number from 0 to 1, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | float) }}
{%- endmacro %}
