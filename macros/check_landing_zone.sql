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
        {%- do check_landing_files() -%}
        {%- if adapter.type() == 'duckdb' -%}
            {%- for table_name in ['events', 'orders', 'customers'] -%}
                {%- if not landing_files(table_name) -%}
                    {{ exceptions.raise_compiler_error(
                        "segmart: every file under '" ~ landing_path(table_name) ~ "/' is "
                        ~ "rejected (model landing_files_rejected, table "
                        ~ landing_file_checks_relation() ~ ", says why); a required table "
                        ~ "needs at least one readable file") }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- do register_landing_tables(file_counts) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
