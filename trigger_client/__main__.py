"""``python -m trigger_client`` and the ``trigger-client`` command: see ``trigger_client._cli``."""

from __future__ import annotations

import sys

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
