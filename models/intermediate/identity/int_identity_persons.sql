{#- One row per CRM record (user_id) with its person: its connected component of
    int_identity_links (labelled by the connected_components pre-hook, to a fixed point),
    named by its oldest record (earliest signup, then smallest user_id). A component of more
    than segmart_identity_max_user_ids records is not merged: each record stays its own
    person. The post-hook drops the pre-hook's scratch table. -#}
{%- set scratch = api.Relation.create(
    database=this.database, schema=this.schema, identifier=this.identifier ~ '__labels') %}
{{ config(
    pre_hook=["{{ connected_components(ref('int_identity_links'), 'user_id_left', 'user_id_right',
        api.Relation.create(database=this.database, schema=this.schema,
        identifier=this.identifier ~ '__labels'),
        positive_var('segmart_identity_max_iterations', 1)) }}"],
    post_hook=["drop table if exists {{ this.schema }}.{{ this.identifier }}__labels"],
) }}
{%- set max_user_ids = positive_var('segmart_identity_max_user_ids', 1) %}

with

-- depends_on: {{ ref('int_identity_links') }}
records as (

    select
        user_id,
        signup_at
    from {{ ref('stg_crm__customers') }}

),

labels as (

    select
        node as user_id,
        label as component_id
    -- written by the pre-hook
    from {{ scratch }}

),

components as (

    select
        labels.component_id,
        count(*) as count_user_ids,
        -- the oldest record names the person; one without a signup time comes last
        min_by(
            labels.user_id,
            {{ ordered_tuple([
                "coalesce(records.signup_at, cast('9999-12-31' as timestamp))",
                'labels.user_id',
            ]) }}
        ) as oldest_user_id
    from labels
    inner join records
        on labels.user_id = records.user_id
    group by labels.component_id

),

final as (

    select
        records.user_id,
        case
            when components.count_user_ids <= {{ max_user_ids }} then components.oldest_user_id
            else records.user_id
        end as person_id,
        coalesce(components.count_user_ids, 1) as count_component_user_ids,
        coalesce(components.count_user_ids > {{ max_user_ids }}, false) as is_over_limit
    from records
    left join labels
        on records.user_id = labels.user_id
    left join components
        on labels.component_id = components.component_id

)

select * from final
