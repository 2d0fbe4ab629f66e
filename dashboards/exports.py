"""Exports of the data behind a view: CSV (business and raw), streamed in chunks; Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dashkit import formats

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


def business_csv_chunks(
    frame: pd.DataFrame, columns: Sequence[formats.Column], *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[str]:
    """The CSV people open: declared columns under their business names, values rounded."""
    for start in range(0, max(len(frame), 1), chunk_rows):
        part = formats.business_frame(frame.iloc[start : start + chunk_rows], columns)
        for i, chunk in enumerate(csv_chunks(part, chunk_rows=chunk_rows)):
            if i or not start:  # the header once, before the first rows
                yield chunk


def frame_period(frame: pd.DataFrame) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a frame's first date column; None when it has none."""
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dtype):
            days = frame[name].dropna()
            if not days.empty:
                return days.min().date(), days.max().date()
    return None


def xlsx_bytes(
    frame: pd.DataFrame, columns: Sequence[formats.Column], *, sheet: str, about: Sequence[tuple[str, str]]
) -> bytes:
    """An Excel workbook: the data with formatted columns (money, percentages, dates as
    dates), a frozen header, and a second sheet saying what the view was."""
    book = Workbook(write_only=True)
    data = book.create_sheet(_sheet_name(sheet))
    declared = {c.name: c for c in columns if c.name in frame.columns}
    order = [*declared, *(str(n) for n in frame.columns if n not in declared)]
    fallback = formats.text()
    formats_by_column = [declared[n].format if n in declared else _guess(frame[n]) or fallback for n in order]
    headers = [declared[n].header if n in declared else n for n in order]
    for index, header in enumerate(headers):
        width = max(len(header), 12) + 2
        data.column_dimensions[get_column_letter(index + 1)].width = min(width, 48)
    data.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for header in headers:
        cell = WriteOnlyCell(data, value=_safe(header))
        cell.font = bold
        head.append(cell)
    data.append(head)
    number_formats = [fmt.excel() for fmt in formats_by_column]
    for row in frame[order].itertuples(index=False, name=None):
        cells = []
        for value, fmt, number_format in zip(row, formats_by_column, number_formats, strict=True):
            cell = WriteOnlyCell(data, value=_safe(fmt.for_excel(value)))
            cell.number_format = number_format
            cells.append(cell)
        data.append(cells)
    info = book.create_sheet("About")
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 80
    for label, text in about:
        label_cell = WriteOnlyCell(info, value=_safe(label))
        label_cell.font = bold
        info.append([label_cell, _safe(text)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _guess(column: pd.Series) -> formats.Format | None:
    """The format of a column nobody declared: dates as dates, numbers as they are."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return formats.date()
    if pd.api.types.is_bool_dtype(column.dtype):
        return formats.flag()
    if pd.api.types.is_integer_dtype(column.dtype):
        return formats.number(0)
    if pd.api.types.is_float_dtype(column.dtype):
        return formats.number(6)
    return None


def _safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula starts with an apostrophe, as in the CSV."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _sheet_name(title: str) -> str:
    # Excel refuses sheet names over 31 characters or with any of []:*?/\
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return cleaned[:31] or "Data"
