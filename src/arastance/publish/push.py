"""Upload a published folder to the Hugging Face Hub.

The token is whatever huggingface_hub finds on its own (HF_TOKEN, or the cached `hf auth login`):
we never read, pass, print or write it, so it cannot end up in the folder or a log. Offline
(HF_HUB_OFFLINE set, or the hub not answering within seconds) fails at once with a UserError and
touches nothing local: the folder was written before and stays as it is, ready for a later push.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from arastance.errors import UserError
from arastance.models.loading import hub_reachable

REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")
CONNECT_TIMEOUT_S = 5.0


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def check_repo_id(repo_id: str | None) -> str:
    if not repo_id:
        raise UserError("--push needs --repo-id OWNER/NAME")
    if not REPO_ID.fullmatch(repo_id) or ".." in repo_id or repo_id.endswith((".git", "-", ".")):
        raise UserError(f"--repo-id {repo_id!r} is not a Hub repository id (OWNER/NAME)")
    return repo_id


def _later(folder: Path, repo_id: str) -> str:
    return f"The folder {folder} is complete; push it later with `hf upload {repo_id} {folder} .` or `arastance publish ... --push`."


def push_folder(folder: Path, repo_id: str, private: bool = False, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
    """Create the model repo if needed and upload the folder as one commit; returns the repo URL."""
    repo_id = check_repo_id(repo_id)
    if _offline():
        raise UserError(f"cannot push to the Hub: HF_HUB_OFFLINE is set. {_later(folder, repo_id)}")
    if not hub_reachable(timeout_s):
        raise UserError(f"cannot push to the Hub: it did not answer within {timeout_s:g} s. {_later(folder, repo_id)}")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError

    api = HfApi()
    try:
        url = api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        api.upload_folder(
            repo_id=repo_id,
            repo_type="model",
            folder_path=str(folder),
            commit_message="Upload model published with arastance",
            # Nothing hidden (staging leftovers, editor files) goes to the Hub.
            ignore_patterns=[".*", "**/.*"],
        )
    except LocalTokenNotFoundError:
        raise UserError(f"cannot push: not logged in to the Hub (run `hf auth login` or set HF_TOKEN). {_later(folder, repo_id)}") from None
    except HfHubHTTPError as err:
        # The message names the repo and the HTTP status, never the token.
        status = getattr(getattr(err, "response", None), "status_code", None)
        raise UserError(f"cannot push to {repo_id}: the Hub answered {status or 'an error'} ({str(err).splitlines()[0]}). {_later(folder, repo_id)}") from None
    except OSError as err:
        raise UserError(f"cannot push to {repo_id}: {err}. {_later(folder, repo_id)}") from None
    return str(url)
