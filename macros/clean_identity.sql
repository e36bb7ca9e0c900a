{% macro clean_identity(column) -%}
    case
        when {{ column }} is null then null
        when lower(trim(cast({{ column }} as string))) in (
            {%- for blocked in var('segmart_blocked_ids') -%}
                '{{ blocked }}'{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        ) then null
        -- only zeros and dashes (blank is caught above); cheaper than a regex on every row
        when replace(replace(trim(cast({{ column }} as string)), '0', ''), '-', '') = '' then null
        else trim(cast({{ column }} as string))
    end
{%- endmacro %}
