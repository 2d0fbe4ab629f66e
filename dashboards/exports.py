"""CSV export of the data behind a view, streamed in chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pandas as pd

# Big enough that per-chunk overhead vanishes, small enough to keep memory flat.
CHUNK_ROWS = 100_000
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(column: pd.Series) -> pd.Series:
    risky = column.astype("string").str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return column
    column = column.astype(object)  # a copy: the caller's frame is left alone
    column[risky] = "'" + column[risky].astype(str)
    return column


def csv_chunks(frame: pd.DataFrame, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The frame as CSV text (UTF-8 safe, header first), a chunk of rows at a time."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(_neutralise(pd.Series(frame.columns.map(str))))
    yield header.getvalue()
    text_columns = [
        name
        for name, dtype in frame.dtypes.items()
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
    ]
    for start in range(0, len(frame), chunk_rows):
        chunk = frame.iloc[start : start + chunk_rows]
        if text_columns:
            chunk = chunk.assign(**{name: _neutralise(chunk[name]) for name in text_columns})
        yield chunk.to_csv(index=False, header=False)
