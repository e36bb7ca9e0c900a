{#- One row per landing table: raw = staged + duplicate + rejected + erased rows. Raw,
    duplicate and erased rows add up data_quality_file_row_counts, staged and rejected rows
    are counted in their models, so a row lost anywhere in staging breaks the equation
    (assert_row_counts_reconcile). Rows of files rejected whole are not read, so not yet
    counted (count_rejected_files). -#}
with

{% for table in landing_tables() %}
    {{ table.name }} as (

        {{ landing_row_counts(
            table.name, ref(table.staged), ref(table.staged ~ '_rejected'),
            ref('data_quality_file_row_counts'),
        ) }}

    ),

{% endfor %}
unioned as (

    {{ union_all_of(landing_tables() | map(attribute='name')) }}

),

rejected_files as (

    select
        source_table,
        count(*) as count_rejected_files
    from {{ ref('landing_files_rejected') }}
    group by source_table

),

final as (

    select
        unioned.source_table,
        cast(unioned.raw_rows as bigint) as raw_rows,
        cast(unioned.staged_rows as bigint) as staged_rows,
        cast(unioned.duplicate_rows as bigint) as duplicate_rows,
        cast(unioned.rejected_rows as bigint) as rejected_rows,
        cast(unioned.erased_rows as bigint) as erased_rows,
        unioned.raw_rows = unioned.staged_rows + unioned.duplicate_rows + unioned.rejected_rows
        + unioned.erased_rows as reconciles,
        -- rows of files rejected whole are not read, so not yet counted in raw_rows
        cast(coalesce(rejected_files.count_rejected_files, 0) as bigint)
            as count_rejected_files
    from unioned
    left join rejected_files
        on unioned.source_table = rejected_files.source_table

)

select * from final
