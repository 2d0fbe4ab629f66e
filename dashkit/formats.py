"""How numbers and dates read: money, percentages, counts, compact numbers and dates.

A dashboard declares one `Format` per series or column and uses it everywhere the
value shows: a chart's axis (`axis()`) and tooltip (`hover()`), a key figure
(`text()`), and the exports (`Column`: the business CSV's header and rounding, the
Excel number format). One declaration, so "$25,083" reads the same on the axis, in
the tooltip, in the summary and in the spreadsheet.

Charts use plotly.js's d3-format strings, whose default locale writes "$" and ","
as an English-speaking business user expects. Django-free, like the rest of the kit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

Kind = Literal["number", "money", "percent", "date", "text", "flag"]
MINUS = "−"  # a real minus sign: a hyphen is easy to miss in front of a number
COMPACT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


@dataclass(frozen=True, kw_only=True)
class Format:
    """How one kind of value reads. Build one with `money`, `percent`, `number`,
    `compact`, `date`, `text` or `flag`."""

    kind: Kind
    decimals: int = 0
    # money: the currency's code (headers, Excel) and its symbol (charts, text).
    currency: str = ""
    symbol: str = ""
    # percent: the values are already percentages (12.5 for 12.5%), not fractions (0.125).
    points: bool = False
    # A "+" in front of positive values: changes, differences.
    signed: bool = False
    # 25.1K, 3.4M in key figures and on axes (tooltips keep every digit).
    short: bool = False
    # flag: the words for true and false.
    yes: str = "Yes"
    no: str = "No"
    # text: what people call a code ("GSPC" -> "S&P 500"); codes not named stay as they are.
    names: tuple[tuple[str, str], ...] = ()

    # -- charts ---------------------------------------------------------------

    def d3(self) -> str:
        """The d3-format specifier plotly.js uses for this value ("" for text and dates)."""
        sign = "+" if self.signed else ""
        if self.kind == "money":
            # d3's "$" is the locale's dollar sign; another currency gets its symbol as a prefix.
            dollar = "$" if self.symbol == "$" else ""
            return f"{sign}{dollar},.{self.decimals}f"
        if self.kind == "percent":
            return f"{sign},.{self.decimals}f" if self.points else f"{sign}.{self.decimals}%"
        if self.kind == "number":
            return f"{sign},.{self.decimals}f"
        return ""

    def axis(self) -> dict[str, Any]:
        """A plotly axis's tick labels for these values: `fig.update_yaxes(**fmt.axis())`."""
        if self.kind == "date":
            return {"tickformat": "%b %Y", "hoverformat": "%Y-%m-%d"}
        if self.kind in ("text", "flag"):
            return {}
        spec = self.d3()
        if self.short:
            # SI prefixes (20k, 1.5M): short tick labels on a narrow chart.
            spec = spec.replace(f",.{self.decimals}f", "~s")
        found: dict[str, Any] = {"tickformat": spec, "hoverformat": self.d3()}
        if self.kind == "money" and self.symbol != "$":
            found["tickprefix"] = self.symbol
        if self.kind == "percent" and self.points:
            found["ticksuffix"] = "%"
        return found

    def hover(self, field: str = "y") -> str:
        """The value in a hovertemplate: `%{y:$,.0f}` reads "$25,083"."""
        if self.kind == "date":
            return f"%{{{field}|%Y-%m-%d}}"
        if self.kind in ("text", "flag"):
            return f"%{{{field}}}"
        prefix = self.symbol if self.kind == "money" and self.symbol != "$" else ""
        suffix = "%" if self.kind == "percent" and self.points else ""
        return f"{prefix}%{{{field}:{self.d3()}}}{suffix}"

    # -- words ----------------------------------------------------------------

    def text(self, value: Any) -> str:
        """The value as a key figure or a table cell shows it: "$25,083", "12.5%", "1.2M"."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
            return "—"
        if self.kind == "flag":
            return self.yes if bool(value) else self.no
        if self.kind == "date":
            return pd.Timestamp(value).strftime("%Y-%m-%d")
        if self.kind == "text":
            return dict(self.names).get(str(value), str(value))
        number = float(value)
        if self.kind == "percent":
            shown = number if self.points else number * 100
            return self._signed(shown, f"{abs(shown):,.{self.decimals}f}%")
        body = self._short(abs(number)) if self.short else f"{abs(number):,.{self.decimals}f}"
        return self._signed(number, self.symbol + body if self.kind == "money" else body)

    def _short(self, number: float) -> str:
        for step, letter in COMPACT_STEPS:
            if number >= step * 0.9995:
                scaled = number / step
                digits = 0 if scaled >= 100 else 1 if scaled >= 10 else 2
                return f"{scaled:.{digits}f}".rstrip("0").rstrip(".") + letter
        return f"{number:,.{self.decimals}f}"

    def _signed(self, number: float, body: str) -> str:
        # A value that rounds to zero carries no sign: "−0.0%" reads as a loss.
        if round(number, self.decimals) == 0:
            return body
        if number < 0:
            return MINUS + body
        return ("+" if self.signed else "") + body

    # -- files ----------------------------------------------------------------

    def unit(self) -> str:
        """What a spreadsheet header adds after the label: "USD", "%"; "" when the label says it."""
        if self.kind == "money":
            return self.currency
        if self.kind == "percent":
            return "%"
        return ""

    def excel(self) -> str:
        """The Excel number format of a cell."""
        places = "." + "0" * self.decimals if self.decimals else ""
        if self.kind == "money":
            return f'"{self.symbol}"#,##0{places};-"{self.symbol}"#,##0{places}'
        if self.kind == "percent":
            return f"0{places}%"
        if self.kind == "number":
            return f"#,##0{places}"
        if self.kind == "date":
            return "yyyy-mm-dd"
        return "General"

    def for_csv(self, column: pd.Series) -> pd.Series:
        """The column as the business CSV writes it: rounded, percentages as percentages,
        dates without a time of day, flags in words."""
        if self.kind == "flag":
            return column.map(lambda v: self.yes if bool(v) else self.no if pd.notna(v) else "")
        if self.kind == "date":
            return pd.to_datetime(column).dt.strftime("%Y-%m-%d")
        if self.kind == "text":
            return column.map(lambda v: dict(self.names).get(v, v)) if self.names else column
        numbers = pd.to_numeric(column, errors="coerce")
        if self.kind == "percent" and not self.points:
            numbers = numbers * 100
        return numbers.round(self.decimals)

    def for_excel(self, value: Any) -> Any:
        """A cell's value: numbers stay numbers (the format shows them), NaN is an empty cell."""
        if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            return None
        if self.kind == "flag":
            return self.yes if bool(value) else self.no
        if self.kind == "date":
            return pd.Timestamp(value).to_pydatetime().date()
        if self.kind == "text":
            return self.text(value)
        number = float(value)
        # Excel's percent format multiplies by 100: it wants fractions.
        if self.kind == "percent" and self.points:
            number /= 100
        return round(number, self.decimals + (2 if self.kind == "percent" else 0))


def money(decimals: int = 0, *, currency: str = "USD", symbol: str = "$", **options: Any) -> Format:
    """An amount of money: "$25,083"."""
    return Format(kind="money", decimals=decimals, currency=currency, symbol=symbol, **options)


def percent(decimals: int = 1, *, points: bool = False, **options: Any) -> Format:
    """A share or a change: 0.125 reads "12.5%" (`points=True`: 12.5 reads "12.5%")."""
    return Format(kind="percent", decimals=decimals, points=points, **options)


def number(decimals: int = 0, **options: Any) -> Format:
    """A count or a measure: "9,628,151"."""
    return Format(kind="number", decimals=decimals, **options)


def compact(decimals: int = 0, **options: Any) -> Format:
    """A large count, short in key figures and on axes: "9.63M" (tooltips keep every digit)."""
    return Format(kind="number", decimals=decimals, short=True, **options)


def date() -> Format:
    return Format(kind="date")


def text(names: Mapping[str, str] | None = None) -> Format:
    """Words; `names` gives codes the names people know them by."""
    return Format(kind="text", names=tuple((names or {}).items()))


def flag(yes: str = "Yes", no: str = "No") -> Format:
    return Format(kind="flag", yes=yes, no=no)


@dataclass(frozen=True)
class Column:
    """A column of a dashboard's data as people read it: its name in the data frame,
    its label in the exports ("Revenue (USD)" is `label="Revenue"` with `money()`)."""

    name: str
    label: str
    format: Format

    @property
    def header(self) -> str:
        unit = self.format.unit()
        return f"{self.label} ({unit})" if unit and f"({unit})" not in self.label else self.label


Columns = Sequence[Column] | Callable[[Mapping[str, Any]], Sequence[Column]]


def columns_for(columns: Columns, params: Mapping[str, Any]) -> list[Column]:
    """A dashboard's declared columns for these parameters (they may depend on them)."""
    return list(columns(params) if callable(columns) else columns)


def business_frame(frame: pd.DataFrame, columns: Iterable[Column]) -> pd.DataFrame:
    """The frame as the business CSV has it: the declared columns, in their order, with
    their headers and rounding; undeclared columns follow under their own names."""
    declared = [c for c in columns if c.name in frame.columns]
    named = {c.name for c in declared}
    out = pd.DataFrame({c.header: c.format.for_csv(frame[c.name]) for c in declared}, index=frame.index)
    for name in frame.columns:
        if name not in named:
            out[str(name)] = frame[name]
    return out.reset_index(drop=True)


def period_text(first: dt.date | None, last: dt.date | None) -> str:
    """ "2024-01-01 to 2025-12-31", or one day, or ""."""
    if first is None or last is None:
        return ""
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
