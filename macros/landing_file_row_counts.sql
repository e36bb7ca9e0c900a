{% macro landing_file_row_counts(table_name, source_relation, base, key_expression,
                                 identity_columns=[], optional=false, files=none) -%}
    {#- a table without identity columns is counted on user_id, which every landing table has -#}
    {%- set read_columns = identity_columns if identity_columns else ['user_id'] -%}
    {#- the base rows of the files counted: all, or the listed ones -#}
    {%- if files is none -%}
        {%- set counted = 'true' -%}
    {%- elif files -%}
        {%- set quoted = [] -%}
        {%- for file in files -%}
            {%- do quoted.append("'" ~ (file | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- set counted = 'source_file in (' ~ quoted | join(', ') ~ ')' -%}
    {%- else -%}
        {%- set counted = 'false' -%}
    {%- endif -%}
    select
        '{{ table_name }}' as source_table,
        landed_files.source_file,
        landed_files.raw_rows,
        coalesce(stored_files.valid_rows, 0) as valid_rows,
        coalesce(stored_files.rejected_rows, 0) as rejected_rows,
        coalesce(stored_files.valid_rows, 0) - coalesce(first_keys.count_first_keys, 0)
            as duplicate_rows,
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
        where {{ counted }}
        group by source_file
    ) as stored_files
        on landed_files.source_file = stored_files.source_file
    left join (
        {#- a key's first file is the first by name that holds it valid, the copy staging
            keeps; a file's other valid rows are duplicates. files holds every file from the
            first that changed on (data_quality_file_row_counts), so a counted key found in
            an uncounted file was first there -#}
        select
            keys.first_file as source_file,
            count(*) as count_first_keys
        from (
            select
                {{ key_expression }} as row_key,
                min(source_file) as first_file
            from {{ base }}
            where reject_reason is null and {{ key_expression }} is not null and {{ counted }}
            group by {{ key_expression }}
        ) as keys
        {%- if files %}
        left join (
            select distinct earlier.row_key
            from (
                select {{ key_expression }} as row_key
                from {{ base }}
                where reject_reason is null and not ({{ counted }})
            ) as earlier
            inner join (
                select {{ key_expression }} as row_key
                from {{ base }}
                where reject_reason is null and {{ counted }}
            ) as counted_keys
                on earlier.row_key = counted_keys.row_key
        ) as seen_earlier
            on keys.row_key = seen_earlier.row_key
        where seen_earlier.row_key is null
        {%- endif %}
        group by keys.first_file
    ) as first_keys
        on landed_files.source_file = first_keys.source_file
{%- endmacro %}
