"""The project's one error type for bad input."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration that cannot run. The message names the key, the value and what is allowed."""
