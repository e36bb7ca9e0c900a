{#- Normalised exactly as int_identity_crm_identifiers does before hashing, so that an
    event's hash and the CRM's compare equal. -#}
{% macro email_hash(expression) -%}
    {%- set email = 'lower(trim(cast(' ~ expression ~ ' as string)))' -%}
    case
        when {{ matches_regex(email, '^[^@ ]+@[^@ ]+$') }}
            {%- for pattern in var('segmart_identity_blocked_emails') %}
                and {{ email }} not like '{{ pattern }}'
            {%- endfor %}
            then {{ hash_pii(email) }}
    end
{%- endmacro %}

{#- Events carry no country to read a national number by, hence the international form
    only; '+' and the digits is the E.164 text the CRM's phones are hashed in. -#}
{% macro phone_hash(expression) -%}
    {%- set text = 'trim(cast(' ~ expression ~ ' as string))' -%}
    {%- set digits = "regexp_replace(" ~ text ~ ", '[^0-9]', ''" ~ (", 'g'" if target.type == 'duckdb' else '') ~ ")" -%}
    {%- set e164 = "'+' || case when " ~ text ~ " like '00%' then substr(" ~ digits ~ ", 3) else " ~ digits ~ " end" -%}
    case
        when ({{ text }} like '+%' or {{ text }} like '00%')
            and {{ matches_regex(e164, '^[+][1-9][0-9]{6,14}$') }}
            and ({{ e164 }}) not in ('{{ var("segmart_identity_blocked_phones") | join("', '") }}')
            then {{ hash_pii(e164) }}
    end
{%- endmacro %}
