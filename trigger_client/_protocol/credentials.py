"""Access tokens as they come from arguments, files and environments: trimmed and checked.

A token read from a file or a secret store often ends in a newline, and one pasted into an
environment variable may carry spaces or quotes. ``clean_token`` strips the surrounding whitespace
and refuses a token that is empty or holds a character an ``Authorization`` header cannot carry
(anything but visible ASCII), naming where the token came from and never showing it.
"""

from __future__ import annotations

from .._exceptions import TriggerConfigurationError

__all__ = ["clean_token"]


def clean_token(value: str, source: str) -> str:
    """``value`` without surrounding whitespace; ``source`` names where it came from (an
    argument, a flag or an environment variable) in the ``TriggerConfigurationError`` raised for
    a token that cannot be one."""
    token = value.strip()
    if not token:
        raise TriggerConfigurationError(f"the access token from {source} is empty")
    for position, char in enumerate(token, start=1):
        if not "!" <= char <= "~":  # visible ASCII, 0x21-0x7E
            raise TriggerConfigurationError(
                f"the access token from {source} has {_describe(char)} at position {position}: "
                "an HTTP header cannot carry it (check for a stray quote, space or line break)"
            )
    return token


def _describe(char: str) -> str:
    """What kind of character ``char`` is, without showing a token's secret characters."""
    if char.isspace():
        return "whitespace"
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return "a control character"
    return "a non-ASCII character"
