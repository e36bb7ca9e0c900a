{#- Every build's feature bins, kept across builds (a rebuild replaces its own as_of): the
    references feature_drift compares against. -#}
{{ config(
    **history_table_config()
) }}

with

distributions as (

    select * from {{ ref('feature_distributions') }}

),

final as (

    select
        as_of,
        feature,
        bin_number,
        upper_edge,
        share
    from distributions

)

select * from final
