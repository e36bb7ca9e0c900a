{% macro age_band(birth_year, at_timestamp) -%}
    case
        when {{ birth_year }} is null then 'unknown'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} < 0 then 'unknown'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} > 120 then 'unknown'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} < 18 then 'under_18'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} < 25 then '18_24'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} < 35 then '25_34'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} < 45 then '35_44'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} < 55 then '45_54'
        when extract(year from {{ at_timestamp }}) - {{ birth_year }} < 65 then '55_64'
        else '65_plus'
    end
{%- endmacro %}
