{#-
    One row for a landing table: raw rows counted straight from the files, staged and
    rejected rows from their models, and duplicates as the valid rows of the base model that
    repeat a key. Used by data_quality_row_counts, one call per landing table.
-#}
{% macro landing_row_counts(table_name, source_relation, key_expression, base, staged, rejected,
                            columns, optional=false) -%}
    select
        '{{ table_name }}' as source_table,
        (
            select count(*) from (
                {{ landing_select(source_relation, table_name, columns, optional=optional) }}
            ) as landed
        ) as raw_rows,
        (select count(*) from {{ staged }}) as staged_rows,
        (
            select count(*) - count(distinct {{ key_expression }})
            from {{ base }}
            where reject_reason is null
        ) as duplicate_rows,
        (select count(*) from {{ rejected }}) as rejected_rows
{%- endmacro %}
