{#- Looked up in the graph rather than through ref(), so that reading what the previous
    build stored adds no edge to the DAG: the reader may run before the model. -#}
{% macro stored_model_relation(model_name) -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
                if node.resource_type == 'model' and node.name == model_name -%}
            {{ return(adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.alias)) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
