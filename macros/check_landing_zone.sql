{#- on-run-start: a missing or empty required landing folder stops the run with its path;
    then the landing tables are registered where the engine needs it (register_landing_tables). -#}
{% macro check_landing_zone() -%}
    {%- if execute and target.name != 'lint' and flags.WHICH in ('build', 'run', 'test', 'seed') -%}
        {%- set file_counts = landing_file_counts() -%}
        {%- for table_name in ['events', 'orders', 'customers'] -%}
            {%- if file_counts.get(table_name, 0) == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "segmart: no Parquet files under '" ~ landing_path(table_name) ~ "/'. The "
                    ~ "landing folder for '" ~ table_name ~ "' is missing or empty. Point "
                    ~ "SEGMART_RAW_DIR at your landing zone (now '"
                    ~ env_var('SEGMART_RAW_DIR', 'data/raw') ~ "'), or generate demo data with: "
                    ~ "python -m segmart.generate --out data/raw"
                ) }}
            {%- endif -%}
        {%- endfor -%}
        {%- do register_landing_tables(file_counts) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
