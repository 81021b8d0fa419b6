"""Small patches of moto's backends so the sandbox serves data moto does not (MOTO-NOTES.md).

Applied once per process by opsctl.sandbox.running_server, before the server starts.
"""

from __future__ import annotations


def apply() -> None:
    """Nothing patched yet."""
