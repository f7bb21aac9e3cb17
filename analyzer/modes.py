"""Deployment modes: how a request was served, which decides its rate (one list for every module)."""

from __future__ import annotations

MODES = ("serverless", "batch", "dedicated", "gpu_cluster")
# `estimate` prices per token, so only the modes a rate card prices per token make sense there.
ESTIMATE_MODES = ("serverless", "batch")
