"""Exceptions shared by every stage."""


class UserError(Exception):
    """An expected failure (bad input, missing model, no network) whose message is enough for the user.

    The CLI and hydra entry points print it without a traceback and exit with status 1.
    """
