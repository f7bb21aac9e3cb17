"""Generic CSV and Parquet tables, read through the config's column mapping ([columns]).

They accept any CSV or Parquet file no specific reader recognised (so they come last in READERS);
rows whose token columns cannot be found are rejects that say so.
"""

from __future__ import annotations

from analyzer.readers import Reader, Sample


def column_params(config) -> dict:
    """$col_paths and the $col_<name>_from / $col_<name>_to slices of normalise_generic_table."""
    from analyzer.config import json_path

    params: dict = {"col_paths": []}
    for name, columns in config.columns.items():
        start = len(params["col_paths"]) + 1
        params["col_paths"].extend(json_path(c) for c in columns)
        params[f"col_{name}_from"] = start
        params[f"col_{name}_to"] = start + len(columns) - 1
    if not params["col_paths"]:
        params["col_paths"] = ["$.__none__"]
    return params


def detect_csv(sample: Sample) -> bool:
    return sample.kind == "csv" and bool(sample.columns)


def detect_parquet(sample: Sample) -> bool:
    return sample.kind == "parquet"


CSV_READER = Reader(
    name="generic-csv",
    description="Any other CSV table, columns mapped by [columns] in the config",
    detect=detect_csv,
    query="normalise_generic_table",
    layouts=("csv",),
    params=column_params,
)

PARQUET_READER = Reader(
    name="generic-parquet",
    description="Any Parquet table, columns mapped by [columns] in the config",
    detect=detect_parquet,
    query="normalise_generic_table",
    layouts=("parquet",),
    params=column_params,
)
