{#- The path of a landed file (`path_expression`, as the engine reports it: relative or
    absolute, or a file: URI) relative to its table's landing folder: everything after the
    last `<table_name>/` folder, so `data/raw/events/date=2025-01-01/part-0.parquet` gives
    `date=2025-01-01/part-0.parquet` (a path without that folder is kept as it is). Stored
    rows then name their file the same way wherever the landing zone is mounted. -#}
{% macro landing_relative_path(path_expression, table_name) -%}
    coalesce(
        nullif(regexp_extract({{ path_expression }}, '^(.*/)?{{ table_name }}/(.*)$', 2), ''),
        {{ path_expression }}
    )
{%- endmacro %}
