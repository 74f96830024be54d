"""The client's base URL, checked and normalised once."""

from __future__ import annotations

from urllib.parse import urlsplit

from .._exceptions import TriggerConfigurationError

__all__ = ["normalize_base_url"]


def normalize_base_url(value: str, name: str = "base_url") -> str:
    """``value`` with its scheme in lower case (schemes are case-insensitive: ``HTTP://`` is
    ``http://``) and no trailing slash; ``TriggerConfigurationError`` naming ``name`` (where the
    URL came from) unless it is an absolute http or https URL with a host, and without a query or
    fragment."""
    if not isinstance(value, str):
        raise TriggerConfigurationError(f"{name} must be a string, not {type(value).__name__}")
    text = value.strip().rstrip("/")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise TriggerConfigurationError(
            f"{name} must start with http:// or https://, not {value!r}"
        )
    url = scheme.lower() + "://" + rest
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError as exc:
        raise TriggerConfigurationError(f"{name} is not a URL: {value!r} ({exc})") from None
    if not parts.hostname:
        raise TriggerConfigurationError(f"{name} has no host: {value!r}")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise TriggerConfigurationError(f"{name} cannot have a query or fragment: {value!r}")
    return url
