"""What counts as a missing cell value, in one place: None, NaN, NaT and pandas' NA; a string never does
(an empty string is text, and some rules treat it apart)."""

from __future__ import annotations

import pandas as pd


def is_missing(value: object) -> bool:
    """Whether one cell's value is missing (``pd.isna`` of a scalar, without calling it on a string)."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
