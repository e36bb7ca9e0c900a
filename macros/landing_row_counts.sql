{% macro landing_row_counts(table_name, key_expression, staged, rejected, base, file_counts) -%}
    select
        '{{ table_name }}' as source_table,
        (
            select coalesce(sum(raw_rows), 0)
            from {{ file_counts }}
            where source_table = '{{ table_name }}'
        ) as raw_rows,
        (select count(*) from {{ staged }}) as staged_rows,
        (
            select count(*) - count(distinct {{ key_expression }})
            from {{ base }}
            where reject_reason is null
        ) as duplicate_rows,
        (select count(*) from {{ rejected }}) as rejected_rows,
        (
            select coalesce(sum(erased_rows), 0)
            from {{ file_counts }}
            where source_table = '{{ table_name }}'
        ) as erased_rows
{%- endmacro %}
