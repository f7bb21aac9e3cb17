"""llm-spend: exact spend reports from exported LLM API usage logs, on an embedded DuckDB store.

Python API (see analyzer.api): `from analyzer import open_store`.
"""

__version__ = "0.1.0"
__all__ = ["open_store", "Store", "Result"]


def __getattr__(name: str):
    # Lazy, so that `import analyzer` (and `llm-spend --help`) does not load DuckDB.
    if name in ("open_store", "Store"):
        from analyzer import api

        return getattr(api, name)
    if name == "Result":
        from analyzer.results import Result

        return Result
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
