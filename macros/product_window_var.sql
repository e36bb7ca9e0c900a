{#- A product rule's window in days (a positive_var), checked against the days that
    int_user_product_days_aggregated keeps (segmart_product_days_window_days): a longer window
    would silently count only the kept days, so it stops compilation instead. -#}
{% macro product_window_var(name) -%}
    {%- set window = positive_var(name) -%}
    {%- set kept = product_days_window() -%}
    {%- if window > kept -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' is " ~ window ~ " days, but int_user_product_days_aggregated "
            ~ "keeps only the last " ~ kept ~ " (var 'segmart_product_days_window_days'): "
            ~ "raise that var too") }}
    {%- endif -%}
    {{ return(window) }}
{%- endmacro %}

{% macro product_days_window() -%}
    {{ return(positive_var('segmart_product_days_window_days', 30)) }}
{%- endmacro %}
