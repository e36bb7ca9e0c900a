"""DuckDB relations read into Python, the one place that knows how each DuckDB spells it."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def to_arrow(relation) -> pa.Table:
    """A DuckDB relation as an Arrow table, every column in its stored type (DuckDB 1.x
    and 2.x name the method differently)."""
    read = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return read()


def to_pandas(relation) -> pd.DataFrame:
    """A DuckDB relation to pandas through Arrow."""
    return to_arrow(relation).to_pandas()
