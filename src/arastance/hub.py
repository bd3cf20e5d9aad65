"""The Hugging Face Hub: is it usable (asked before any download or upload), and folder uploads.

`transformers`, `datasets` and `huggingface_hub` retry an unreachable hub for 20-50 s before failing;
every stage that talks to the hub (model loading, corpus download, model and dataset pushes) asks
here first, so offline work fails in seconds with a message saying what to do.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from urllib.parse import urlparse

from arastance.errors import UserError


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


# --------------------------------------------------------------------------- uploads

REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")
CONNECT_TIMEOUT_S = 5.0


def check_repo_id(repo_id: str | None) -> str:
    if not repo_id:
        raise UserError("--push needs --repo-id OWNER/NAME")
    if not REPO_ID.fullmatch(repo_id) or ".." in repo_id or repo_id.endswith((".git", "-", ".")):
        raise UserError(f"--repo-id {repo_id!r} is not a Hub repository id (OWNER/NAME)")
    return repo_id


def push_folder(
    folder: Path,
    repo_id: str,
    *,
    repo_type: str,
    commit_message: str,
    retry_hint: str,
    private: bool = False,
    timeout_s: float = CONNECT_TIMEOUT_S,
) -> str:
    """Create the Hub repo (model or dataset) if needed and upload the folder as one commit; its URL.

    The token is whatever huggingface_hub finds on its own (HF_TOKEN, or the cached `hf auth login`):
    we never read, pass, print or write it, so it cannot end up in the folder or a log. Offline
    (HF_HUB_OFFLINE set, or the hub not answering within seconds) fails at once with a UserError and
    touches nothing local: the folder stays as it is, ready for a later push (`retry_hint` says how).
    """
    repo_id = check_repo_id(repo_id)
    later = (
        f"The folder {folder} is complete; push it later with `hf upload --repo-type {repo_type} {repo_id} {folder} .` "
        f"or `{retry_hint}`."
    )
    if offline():
        raise UserError(f"cannot push to the Hub: HF_HUB_OFFLINE is set. {later}")
    if not hub_reachable(timeout_s):
        raise UserError(f"cannot push to the Hub: it did not answer within {timeout_s:g} s. {later}")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError

    api = HfApi()
    try:
        url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        api.upload_folder(
            repo_id=repo_id,
            repo_type=repo_type,
            folder_path=str(folder),
            commit_message=commit_message,
            # Nothing hidden (staging leftovers, editor files) goes to the Hub.
            ignore_patterns=[".*", "**/.*"],
        )
    except LocalTokenNotFoundError:
        raise UserError(
            f"cannot push: not logged in to the Hub (run `hf auth login` or set HF_TOKEN). {later}"
        ) from None
    except HfHubHTTPError as err:
        # The message names the repo and the HTTP status, never the token.
        status = getattr(getattr(err, "response", None), "status_code", None)
        raise UserError(
            f"cannot push to {repo_id}: the Hub answered {status or 'an error'} ({str(err).splitlines()[0]}). {later}"
        ) from None
    except OSError as err:
        raise UserError(f"cannot push to {repo_id}: {err}. {later}") from None
    return str(url)
