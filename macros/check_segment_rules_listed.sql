{% macro check_segment_rules_listed(rules) -%}
    {%- if execute -%}
        {%- set missing = [] -%}
        {%- for rule in rules if rule.unique_id not in model.depends_on.nodes -%}
            {%- do missing.append(rule.name) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ " does not list the segment rule(s) " ~ missing | join(', ')
                ~ ": run `.venv/bin/python -m segmart.segments` (make build does) and build again"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
