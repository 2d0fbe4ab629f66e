"""CSV export of the data behind a view, streamed in chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pandas as pd

CHUNK_ROWS = 20_000
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(column: pd.Series) -> pd.Series:
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return column
    text = column.astype("string")
    risky = text.str.startswith(FORMULA_START).fillna(False)
    return column.where(~risky, "'" + text)


def csv_chunks(frame: pd.DataFrame, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The frame as CSV text (UTF-8 safe, header first), a chunk of rows at a time."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(_neutralise(pd.Series(frame.columns.map(str))))
    yield header.getvalue()
    for start in range(0, len(frame), chunk_rows):
        chunk = frame.iloc[start : start + chunk_rows]
        yield chunk.apply(_neutralise).to_csv(index=False, header=False)
