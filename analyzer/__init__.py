"""llm-spend: exact spend reports from exported LLM API usage logs, on an embedded DuckDB store."""

__version__ = "0.1.0"
