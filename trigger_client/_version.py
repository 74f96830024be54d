"""The package version, sent as ``trigger-version`` and in the user agent."""

__version__ = "0.1.0"
