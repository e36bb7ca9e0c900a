{#- The CRM records (user_ids) to erase, read from the landed files: every valid deletion
    request ('requested'), and every record that shares a usable e-mail (lower-cased,
    trimmed, not blocked) or phone (its last nine digits) with a requested one
    ('same_person'), so that erasing one record of a person erases the whole person. A value
    on more than segmart_identity_max_user_ids records joins none, as in int_identity_links.
    Every version of a record counts: an old e-mail still names the person. -#}
{% macro erased_records() -%}
    {%- set max_user_ids = positive_var('segmart_identity_max_user_ids', 1) -%}
    with

    requests as (

        {{ landed_erasure_requests() }}

    ),

    records as (

        select distinct
            {{ clean_identity('landed.user_id') }} as user_id,
            'email' as value_type,
            lower(trim(cast(landed.email as string))) as value
        from (
            {{ landing_select(
                source('crm', 'customers'), 'customers', ['user_id', 'email', 'phone']) }}
        ) as landed
        where
            {{ matches_regex('lower(trim(cast(landed.email as string)))', '^[^@ ]+@[^@ ]+$') }}
            {%- for pattern in var('segmart_identity_blocked_emails') %}
                and lower(trim(cast(landed.email as string))) not like '{{ pattern }}'
            {%- endfor %}
        union
        select distinct
            {{ clean_identity('landed.user_id') }} as user_id,
            'phone' as value_type,
            {{ phone_digits('landed.phone') }} as value
        from (
            {{ landing_select(
                source('crm', 'customers'), 'customers', ['user_id', 'email', 'phone']) }}
        ) as landed
        where {{ phone_digits('landed.phone') }} is not null

    ),

    usable_values as (

        select
            value_type,
            value
        from records
        where user_id is not null
        group by value_type, value
        having count(distinct user_id) <= {{ max_user_ids }}

    ),

    requested_values as (

        select distinct
            records.value_type,
            records.value
        from records
        inner join requests
            on records.user_id = requests.user_id
        inner join usable_values
            on records.value_type = usable_values.value_type and records.value = usable_values.value

    ),

    linked as (

        select distinct records.user_id
        from records
        inner join requested_values
            on records.value_type = requested_values.value_type
                and records.value = requested_values.value
        left join requests
            on records.user_id = requests.user_id
        where records.user_id is not null and requests.user_id is null

    )

    select
        user_id,
        'requested' as erased_because
    from requests
    where user_id is not null
    union all
    select
        user_id,
        'same_person' as erased_because
    from linked
{%- endmacro %}


{#- The user_ids of the landed deletion requests, cleaned (null where the id is unusable). -#}
{% macro landed_erasure_requests() -%}
    select distinct {{ clean_identity('landed.user_id') }} as user_id
    from (
        {{ landing_select(source('crm', 'deletion_requests'), 'deletion_requests',
            ['user_id', 'requested_at'], optional=true) }}
    ) as landed
{%- endmacro %}


{#- Every version counts, as in erased_records. A phone is hashed as events carry it
    (phone_hash); one written nationally also in the international form its record's country
    gives it, since an event carries only that form. -#}
{% macro erased_contacts() -%}
    select distinct
        hashed.identifier_type,
        hashed.identifier_value
    from (
        select
            forms.identifier_type,
            case forms.form
                when 'email' then {{ email_hash('contacts.email') }}
                when 'international' then {{ phone_hash('contacts.phone') }}
                else {{ phone_hash('contacts.national_phone') }}
            end as identifier_value
        from (
            select
                landed.email,
                landed.phone,
                {{ national_phone_e164(
                    'landed.phone', 'codes.calling_code', 'codes.national_prefix') }}
                    as national_phone
            from (
                {{ landing_select(source('crm', 'customers'), 'customers',
                    ['user_id', 'email', 'phone', 'country']) }}
            ) as landed
            inner join {{ ref('stg_crm__erased_records') }} as erased
                on trim(cast(landed.user_id as string)) = erased.user_id
            left join {{ ref('country_calling_codes') }} as codes
                on upper(trim(cast(landed.country as string))) = codes.country
        ) as contacts
        cross join (
            select
                'email' as form,
                'email' as identifier_type
            union all
            select
                'international' as form,
                'phone' as identifier_type
            union all
            select
                'national' as form,
                'phone' as identifier_type
        ) as forms
    ) as hashed
    where hashed.identifier_value is not null
{%- endmacro %}


{#- Keeps every row: only the hashes go. -#}
{% macro clear_erased_contacts(relation, identifier_type) -%}
    update {{ relation }} set {{ identifier_type }}_sha256 = null
    where {{ identifier_type }}_sha256 in (
        select erased.identifier_value
        from ({{ erased_contacts() }}) as erased
        where erased.identifier_type = '{{ identifier_type }}'
    )
{%- endmacro %}
