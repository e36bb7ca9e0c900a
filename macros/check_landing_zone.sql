{#- on-run-start: a missing or empty required landing folder stops the run with its path. -#}
{% macro check_landing_zone() -%}
    {%- if execute and target.name != 'lint' and flags.WHICH in ('build', 'run', 'test', 'seed') -%}
        {%- for table_name in ['events', 'orders', 'customers'] -%}
            {%- set path = landing_path(table_name) -%}
            {%- set found = run_query(
                "select count(*) from glob('" ~ path ~ "/**/*.parquet')"
            ) -%}
            {%- if found.columns[0].values()[0] == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "segmart: no Parquet files under '" ~ path ~ "/'. The landing folder for '"
                    ~ table_name ~ "' is missing or empty. Point SEGMART_RAW_DIR at your landing "
                    ~ "zone (now '" ~ env_var('SEGMART_RAW_DIR', 'data/raw') ~ "'), or generate "
                    ~ "demo data with: python -m segmart.generate --out data/raw"
                ) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
