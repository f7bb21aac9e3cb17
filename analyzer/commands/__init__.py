"""The `llm-spend` commands, one module per command or group; `analyzer.cli` registers each with one line.

A command module imports the shared options and `Context` from `analyzer.cli`, parses its options,
calls one library function and prints the result.
"""
