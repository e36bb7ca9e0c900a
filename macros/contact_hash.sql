{#- The salted hash of an e-mail as landed on an event: lower-cased and trimmed, null when it
    has no single `@` or matches segmart_identity_blocked_emails, so that it compares with the
    CRM's hashes (int_identity_crm_identifiers). -#}
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

{#- The salted hash of a phone as landed on an event, in E.164: events carry no country, so
    only a number written internationally (`+`, or `00`, then 7 to 15 digits) is kept. -#}
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
