{% macro segment_names(node) -%}
    {%- set declared = (node.config.meta or {}).get('segments')
        or (node.meta or {}).get('segments') -%}
    {%- if declared -%}
        {{ return(declared) }}
    {%- endif -%}
    {{ return([node.name[4:] if node.name.startswith('seg_') else node.name]) }}
{%- endmacro %}
