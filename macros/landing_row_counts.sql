{% macro landing_row_counts(table_name, staged, rejected, file_counts) -%}
    select
        '{{ table_name }}' as source_table,
        file_totals.raw_rows,
        (select count(*) from {{ staged }}) as staged_rows,
        file_totals.duplicate_rows,
        (select count(*) from {{ rejected }}) as rejected_rows,
        file_totals.erased_rows
    from (
        select
            coalesce(sum(raw_rows), 0) as raw_rows,
            coalesce(sum(duplicate_rows), 0) as duplicate_rows,
            coalesce(sum(erased_rows), 0) as erased_rows
        from {{ file_counts }}
        where source_table = '{{ table_name }}'
    ) as file_totals
{%- endmacro %}
