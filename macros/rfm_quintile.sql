{#- An RFM score 1-5 ordered by `order_by` (an expression, optionally with `desc`): the
    quintile that the first row of its tie group falls in, 1 + floor(5 x (rank - 1) / n).
    Ties share a score and the lowest group always scores 1. -#}
{% macro rfm_quintile(order_by) %}
    cast(1 + floor(5.0 * (rank() over (order by {{ order_by }}) - 1) / count(*) over ()) as integer)
{%- endmacro %}
