{#- Spark: the landing root ($SEGMART_RAW_DIR) as an absolute path or URI with a trailing
    slash. Spark resolves a relative table location against its warehouse, not the working
    directory, so a relative root is joined to the directory dbt runs in (the JVM's
    user.dir) and its `.` and `..` segments are resolved. -#}
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
