{#- Normalised exactly as int_identity_crm_identifiers does before hashing, so that an
    event's hash and the CRM's compare equal. -#}
{% macro email_hash(expression) -%}
    {%- set email = 'lower(trim(cast(' ~ expression ~ ' as string)))' -%}
    case
        when {{ is_usable_email(expression) }}
            {%- for pattern in var('segmart_identity_blocked_emails') %}
                and {{ email }} not like '{{ pattern }}'
            {%- endfor %}
            then {{ hash_pii(email) }}
    end
{%- endmacro %}

{#- Events carry no country to read a national number by, hence the international form
    only; '+' and the digits is the E.164 text the CRM's phones are hashed in. -#}
{% macro phone_hash(expression) -%}
    {%- set e164 = event_phone_e164(expression) -%}
    case
        when {{ is_usable_event_phone(expression) }}
            and ({{ e164 }}) not in ('{{ var("segmart_identity_blocked_phones") | join("', '") }}')
            then {{ hash_pii(e164) }}
    end
{%- endmacro %}

{#- The shape tests apart from the hashes, so that base_tracking__events can flag a value that
    was sent but cannot be used (data_quality counts them) by the same rule. -#}
{% macro is_usable_email(expression) -%}
    {{ matches_regex('lower(trim(cast(' ~ expression ~ ' as string)))', '^[^@ ]+@[^@ ]+$') }}
{%- endmacro %}

{% macro event_phone_e164(expression) -%}
    {%- set text = 'trim(cast(' ~ expression ~ ' as string))' -%}
    {%- set flags = ", 'g'" if target.type == 'duckdb' else '' -%}
    {%- set digits = "regexp_replace(" ~ text ~ ", '[^0-9]', ''" ~ flags ~ ")" -%}
    '+' || case when {{ text }} like '00%' then substr({{ digits }}, 3) else {{ digits }} end
{%- endmacro %}

{#- Digits only, so a trunk prefix is matched however the number is spaced; a number written
    with + or 00 is already international and gives null. -#}
{% macro national_phone_e164(expression, calling_code, national_prefix) -%}
    {%- set text = 'trim(cast(' ~ expression ~ ' as string))' -%}
    {%- set flags = ", 'g'" if target.type == 'duckdb' else '' -%}
    {%- set digits = "regexp_replace(" ~ text ~ ", '[^0-9]', ''" ~ flags ~ ")" -%}
    case
        when {{ text }} not like '+%' and {{ text }} not like '00%' and {{ calling_code }} <> ''
            then '+' || {{ calling_code }} || case
                when {{ national_prefix }} <> '' and {{ digits }} like {{ national_prefix }} || '%'
                    then substr({{ digits }}, length({{ national_prefix }}) + 1)
                else {{ digits }}
            end
    end
{%- endmacro %}

{% macro is_usable_event_phone(expression) -%}
    {%- set text = 'trim(cast(' ~ expression ~ ' as string))' -%}
    ({{ text }} like '+%' or {{ text }} like '00%')
    and {{ matches_regex(event_phone_e164(expression), '^[+][1-9][0-9]{6,14}$') }}
{%- endmacro %}

{#- True when the value was sent (not null, not blank) and fails its shape test. -#}
{% macro is_unusable_contact(expression, usable) -%}
    coalesce(
        nullif(trim(cast({{ expression }} as string)), '') is not null and not ({{ usable }}),
        false
    )
{%- endmacro %}
