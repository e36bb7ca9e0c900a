{% macro unsupported_adapter(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        "segmart: " ~ macro_name ~ "() has no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__" ~ macro_name ~ " beside the duckdb__ and spark__ "
        ~ "ones in macros/" ~ macro_name ~ ".sql") }}
{%- endmacro %}
