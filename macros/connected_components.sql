{#- Labels every node of an undirected graph with the smallest node of its connected
    component, iterating to a fixed point. Run as a pre-hook: it writes `scratch` (node,
    label) and the model reads it. Each round a node takes the smallest label among itself
    and its neighbours, then the label of that label (pointer jumping, so long chains take
    a logarithmic number of rounds). Plain SQL statements, so it runs on every engine;
    it stops the build naming the model when max_iterations rounds do not converge. -#}
{% macro connected_components(edges, left_column, right_column, scratch, max_iterations=50) %}
    {%- if not execute %}{{ return('select 1') }}{% endif -%}
    {%- set scratch = api.Relation.create(
        database=scratch.database, schema=scratch.schema, identifier=scratch.identifier,
        type='table') -%}
    {%- set edge_sql -%}
        select {{ left_column }} as node_left, {{ right_column }} as node_right from {{ edges }}
    {%- endset -%}
    {%- set current = api.Relation.create(
        database=scratch.database, schema=scratch.schema,
        identifier=scratch.identifier ~ '_0', type='table') -%}
    {%- set start_sql -%}
        with edges as ({{ edge_sql }})
        select node_left as node, min(node_left) as label from edges group by node_left
        union
        select node_right as node, min(node_right) as label from edges group by node_right
    {%- endset -%}
    {% do adapter.drop_relation(current) %}
    {% do run_query(get_create_table_as_sql(False, current, start_sql)) %}
    {%- set converged = [] -%}
    {%- for round in range(1, max_iterations + 1) -%}
        {#- round r reads the table of round r - 1 and writes the other of the pair -#}
        {%- set current = api.Relation.create(
            database=scratch.database, schema=scratch.schema,
            identifier=scratch.identifier ~ '_' ~ ((round - 1) % 2), type='table') -%}
        {%- set following = api.Relation.create(
            database=scratch.database, schema=scratch.schema,
            identifier=scratch.identifier ~ '_' ~ (round % 2), type='table') -%}
        {%- set round_sql -%}
            with edges as ({{ edge_sql }}),
            offered as (
                select node, label from {{ current }}
                union all
                select edges.node_left as node, labels.label
                from edges inner join {{ current }} as labels on edges.node_right = labels.node
                union all
                select edges.node_right as node, labels.label
                from edges inner join {{ current }} as labels on edges.node_left = labels.node
            ),
            smallest as (
                select node, min(label) as label from offered group by node
            )
            select
                smallest.node,
                case when jumped.label < smallest.label then jumped.label
                    else smallest.label end as label
            from smallest
            left join smallest as jumped on smallest.label = jumped.node
        {%- endset -%}
        {% do adapter.drop_relation(following) %}
        {% do run_query(get_create_table_as_sql(False, following, round_sql)) %}
        {%- set changed = run_query(
            'select count(*) from ' ~ following ~ ' as following inner join ' ~ current
            ~ ' as previous on following.node = previous.node'
            ~ ' where following.label != previous.label').columns[0].values()[0] -%}
        {% do adapter.drop_relation(current) %}
        {%- if changed == 0 -%}
            {% do converged.append(round) %}
            {% break %}
        {%- endif -%}
    {%- endfor -%}
    {%- if not converged -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ': connected components did not converge in ' ~ max_iterations
            ~ ' rounds; raise segmart_identity_max_iterations') }}
    {%- endif -%}
    {{ log(model.name ~ ': connected components converged in ' ~ converged[0] ~ ' rounds') }}
    {% do adapter.drop_relation(scratch) %}
    {%- set last = api.Relation.create(
        database=scratch.database, schema=scratch.schema,
        identifier=scratch.identifier ~ '_' ~ (converged[0] % 2), type='table') -%}
    {%- set rename_sql -%}
        select node, label from {{ last }}
    {%- endset -%}
    {% do run_query(get_create_table_as_sql(False, scratch, rename_sql)) %}
    {% do adapter.drop_relation(last) %}
    select 1
{% endmacro %}
