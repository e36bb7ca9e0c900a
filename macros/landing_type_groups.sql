{#- Split accepted files (from landing_accepted_files) into groups that DuckDB can read as
    one read_parquet(union_by_name): a column whose kind differs between the files (text
    against number, an integer epoch against a timestamp) is a conflict, and each group,
    the files that agree on every conflicting column, reads those columns as text
    (`as_text`). Integers and floats agree (DuckDB unites them as numbers); a column with no
    values (kind null) agrees with every kind. Without conflicts: one group, no casts, the
    files read as they are. Returns a list of {files, as_text}. -#}
{% macro landing_type_groups(accepted) -%}
    {%- set kinds_by_column = {} -%}
    {%- for entry in accepted -%}
        {%- for column, kind in entry.kinds.items() if kind != 'null' -%}
            {%- set kind = 'number' if kind in ('integer', 'float') else kind -%}
            {%- do kinds_by_column.setdefault(column, []).append(kind) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set conflicting = [] -%}
    {%- for column, kinds in kinds_by_column | dictsort if kinds | unique | list | length > 1 -%}
        {%- do conflicting.append(column) -%}
    {%- endfor -%}
    {%- set groups = {} -%}
    {%- set keys = [] -%}
    {%- for entry in accepted -%}
        {%- set present = [] -%}
        {%- set signature = [] -%}
        {%- for column in conflicting -%}
            {%- set kind = entry.kinds.get(column) -%}
            {%- if kind is not none -%}
                {%- do present.append(column) -%}
            {%- endif -%}
            {%- do signature.append(column ~ '=' ~ (kind or 'absent')) -%}
        {%- endfor -%}
        {%- set key = signature | join(',') -%}
        {%- if key not in groups -%}
            {%- do keys.append(key) -%}
            {%- do groups.update({key: {'files': [], 'as_text': present}}) -%}
        {%- endif -%}
        {%- do groups[key].files.append(entry.file) -%}
    {%- endfor -%}
    {%- set ordered = [] -%}
    {%- for key in keys -%}
        {%- do ordered.append(groups[key]) -%}
    {%- endfor -%}
    {{ return(ordered) }}
{%- endmacro %}
