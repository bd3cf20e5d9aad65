"""Is the Hugging Face Hub usable? Asked before any download or upload, so offline work fails in seconds.

`transformers`, `datasets` and `huggingface_hub` retry an unreachable hub for 20-50 s before failing;
every stage that talks to the hub (model loading, corpus download, pushes) asks here first.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse


def offline() -> bool:
    """HF_HUB_OFFLINE is set to a true value (the hub libraries' own switch)."""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def hub_reachable(timeout_s: float) -> bool:
    """A TCP connection to the hub endpoint ($HF_ENDPOINT) opens within timeout_s."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "huggingface.co", port), timeout=timeout_s):
            return True
    except OSError:
        return False
