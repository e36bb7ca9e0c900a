-- Every landed file: raw rows = valid + rejected rows held by the base model + erased rows.
select
    source_table,
    source_file,
    raw_rows,
    valid_rows,
    rejected_rows,
    erased_rows,
    raw_rows - (valid_rows + rejected_rows + erased_rows) as unaccounted_rows
from {{ ref('data_quality_file_row_counts') }}
where not reconciles
