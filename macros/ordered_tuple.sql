{#- A value that orders like the tuple of `expressions` (by the first, then the second, ...),
    for max_by / min_by over more than one column: max_by(x, ordered_tuple(['t', 'id'])) is x
    of the row with the latest t, the greatest id breaking a tie. -#}
{% macro ordered_tuple(expressions) -%}
    {{ return(adapter.dispatch('ordered_tuple', 'segmart')(expressions)) }}
{%- endmacro %}

{% macro default__ordered_tuple(expressions) -%}
    struct({{ expressions | join(', ') }})
{%- endmacro %}

{% macro duckdb__ordered_tuple(expressions) -%}
    row({{ expressions | join(', ') }})
{%- endmacro %}
