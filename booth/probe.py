"""One check's result, as ``booth doctor`` and the officer panel show it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    """What one check found. ``required`` checks must pass for a session to run."""

    name: str
    ok: bool
    detail: str
    required: bool = True

    @property
    def blocks_sessions(self) -> bool:
        """True when this failure means the booth cannot run a session."""
        return self.required and not self.ok
