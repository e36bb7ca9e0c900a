{% macro landing_file_row_counts(table_name, source_relation, base, identity_columns=[],
                                 optional=false, files=none) -%}
    {#- a table without identity columns is counted on user_id, which every landing table has -#}
    {%- set read_columns = identity_columns if identity_columns else ['user_id'] -%}
    select
        '{{ table_name }}' as source_table,
        landed_files.source_file,
        landed_files.raw_rows,
        coalesce(stored_files.valid_rows, 0) as valid_rows,
        coalesce(stored_files.rejected_rows, 0) as rejected_rows,
        landed_files.erased_rows
    from (
        select
            cast(landed.filename as {{ dbt.type_string() }}) as source_file,
            count(*) as raw_rows,
            {%- if identity_columns %}
            count(
                case when
                {%- for column in identity_columns %}
                    erased_{{ column }}.erased_id is not null{% if not loop.last %} or{% endif %}
                {%- endfor %}
                then 1 end
            ) as erased_rows
            {%- else %}
            0 as erased_rows
            {%- endif %}
        from (
            {{ landing_select(source_relation, table_name, read_columns, optional=optional,
                              files=files) }}
        ) as landed
        {%- for column in identity_columns %}
        {#- erased ids are clean ids, and a raw id cleans to one exactly when its trimmed text
            is one: no clean_identity on every landed row. Joins, not IN in the select list,
            which Spark does not allow. #}
        left join (
            select distinct erased_id
            from {{ ref('stg_crm__erased_identities') }}
            {%- if column == 'user_id' %}
            where erased_kind = 'user'
            {%- endif %}
        ) as erased_{{ column }}
            on trim(cast(landed.{{ column }} as {{ dbt.type_string() }}))
            = erased_{{ column }}.erased_id
        {%- endfor %}
        group by cast(landed.filename as {{ dbt.type_string() }})
    ) as landed_files
    left join (
        select
            source_file,
            count(case when reject_reason is null then 1 end) as valid_rows,
            count(case when reject_reason is not null then 1 end) as rejected_rows
        from {{ base }}
        {%- if files is not none %}
        where
            {%- if files %}
            source_file in (
                {%- for file in files %}
                '{{ file | replace("'", "''") }}'{% if not loop.last %},{% endif %}
                {%- endfor %}
            )
            {%- else %}
            false
            {%- endif %}
        {%- endif %}
        group by source_file
    ) as stored_files
        on landed_files.source_file = stored_files.source_file
{%- endmacro %}
