-- Every landing table: raw rows = staged + duplicates removed + rejected + erased rows.
select
    source_table,
    raw_rows,
    staged_rows,
    duplicate_rows,
    rejected_rows,
    erased_rows,
    raw_rows - (staged_rows + duplicate_rows + rejected_rows + erased_rows) as unaccounted_rows
from {{ ref('data_quality_row_counts') }}
where not reconciles
