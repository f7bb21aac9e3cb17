"""Deployment modes: how a request was served, which decides its rate (one list for every module)."""

from __future__ import annotations

import re

MODES = ("serverless", "batch", "dedicated", "gpu_cluster")
# `estimate` prices per token, so only the modes a rate card prices per token make sense there.
ESTIMATE_MODES = ("serverless", "batch")

# A model name with glob characters (`*`, `?`, `[...]`) is a pattern that matches names (the rate
# card's `model` and the config's [modes]); the most specific match wins: an exact name before a
# pattern, a longer pattern before a shorter one, then the pattern text.
_GLOB = re.compile(r"[*?\[]")


def is_pattern(model: str) -> bool:
    """Whether a model name is a glob pattern rather than one name."""
    return bool(_GLOB.search(model))


def specificity(model: str) -> tuple:
    """Sort key: the most specific model name or pattern first (see above)."""
    return (is_pattern(model), -len(model), model)
