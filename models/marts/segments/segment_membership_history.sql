{#- One row per (as_of, segment, person): the memberships of every build, kept across
    builds. A build replaces the rows of its own as_of, so rebuilding the same as_of changes
    nothing; persons who asked to be erased are removed from every as_of. -#}
{{ config(
    on_schema_change='fail',
    post_hook=[
        "{{ delete_rows(this, 'user_id in (select user_id from '
            ~ ref('stg_crm__erased_records') ~ ')') }}",
    ],
    **history_table_config()
) }}

with

memberships as (

    select * from {{ ref('segment_memberships') }}

),

final as (

    select
        as_of,
        segment,
        user_id,
        can_contact
    from memberships

)

select * from final
