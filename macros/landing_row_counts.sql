{% macro landing_row_counts(table_name, source_relation, key_expression, base, staged, rejected,
                            columns, identity_columns=[], optional=false) -%}
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
        (select count(*) from {{ rejected }}) as rejected_rows,
        {%- if identity_columns %}
        (
            select count(*) from (
                {{ landing_select(source_relation, table_name, identity_columns,
                                  optional=optional) }}
            ) as landed
            -- erased ids are clean ids, and a raw id cleans to one exactly when its trimmed
            -- text is one: no clean_identity on every landed row
            where
            {%- for column in identity_columns %}
                trim(cast(landed.{{ column }} as string)) in (
                    select erased_id from {{ ref('stg_crm__erased_identities') }}
                    {%- if column == 'user_id' %} where erased_kind = 'user'{% endif %}
                ){% if not loop.last %} or{% endif %}
            {%- endfor %}
        ) as erased_rows
        {%- else %}
        0 as erased_rows
        {%- endif %}
{%- endmacro %}
