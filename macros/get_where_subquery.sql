{#- dbt's get_where_subquery (the relation a generic test reads, filtered by its `where`
    config), plus the load scope: a test of a model whose YAML sets meta
    `segmart_load_column` reads only the rows of that model's newest load (load_scope), unless
    var segmart_test_scope is 'full' or the build is a --full-refresh. The column is looked up
    when the test runs, not when the YAML is parsed, so the bound is the stored table's. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set attached = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set load_column = (attached.config.meta or {}).get('segmart_load_column')
        if attached else none -%}
    {%- if load_column -%}
        {%- set scoped = load_scope(relation, load_column) -%}
        {%- if scoped -%}
            {%- do conditions.append(scoped) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
