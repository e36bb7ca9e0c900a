{% macro spark_landing_root() -%}
    {%- set root = landing_path('') -%}
    {%- if modules.re.match('^([A-Za-z][A-Za-z0-9+.-]*:|/)', root) -%}
        {{ return(root) }}
    {%- endif -%}
    {%- set cwd = run_query(
        "select java_method('java.lang.System', 'getProperty', 'user.dir')"
    ).columns[0].values()[0] -%}
    {%- set parts = [] -%}
    {%- for part in (cwd ~ '/' ~ root).split('/') -%}
        {%- if part == '..' and parts -%}
            {%- do parts.pop() -%}
        {%- elif part not in ('', '.', '..') -%}
            {%- do parts.append(part) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('/' ~ parts | join('/') ~ '/') }}
{%- endmacro %}
