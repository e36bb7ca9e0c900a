{#- One row per landed file that is not read: it cannot be read or does not fit the input
    contract (check_landing_files, in on-run-start). Each build checks these files again,
    and reads one as soon as it passes (an upload that finished). A view: it always shows
    the last check, also after a `dbt test` or `dbt run` of other models. -#}

with

checks as (

    {{ landing_file_checks() }}

),

final as (

    select
        table_name as source_table,
        file,
        path,
        size_bytes,
        modified_at,
        reason as reject_reason,
        first_rejected_at,
        checked_at
    from checks
    where reason is not null

)

select * from final
