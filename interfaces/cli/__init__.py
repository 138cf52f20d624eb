"""The ``pipeflow`` command line: click commands that get everything from the composition root.

Nothing here imports ``pipeflow.infrastructure`` (an import contract holds it): commands call
``bootstrap()`` once and translate what the ``App`` returns into output and exit codes.
"""

from __future__ import annotations

__all__: list[str] = []
