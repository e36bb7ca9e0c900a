-- Every landing table: raw rows = staged + duplicates removed + rejected + erased rows.
-- Rows of files rejected whole (landing_files_rejected) are not read, so not yet counted:
-- count_rejected_files says how many files that is.
select
    source_table,
    raw_rows,
    staged_rows,
    duplicate_rows,
    rejected_rows,
    erased_rows,
    count_rejected_files,
    raw_rows - (staged_rows + duplicate_rows + rejected_rows + erased_rows) as unaccounted_rows
from {{ ref('data_quality_row_counts') }}
where not reconciles
