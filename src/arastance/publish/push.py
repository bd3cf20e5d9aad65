"""Upload a published model folder to the Hugging Face Hub (the upload itself: arastance.hub.push_folder).

The token is never read, passed, printed or written by us; offline fails at once and leaves the
folder ready for a later push.
"""

from __future__ import annotations

from pathlib import Path

from arastance.hub import CONNECT_TIMEOUT_S, check_repo_id
from arastance.hub import push_folder as _push_folder

__all__ = ["check_repo_id", "push_folder"]


def push_folder(folder: Path, repo_id: str, private: bool = False, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
    """Create the model repo if needed and upload the folder as one commit; returns the repo URL."""
    return _push_folder(
        folder,
        repo_id,
        repo_type="model",
        commit_message="Upload model published with arastance",
        retry_hint="arastance publish ... --push",
        private=private,
        timeout_s=timeout_s,
    )
