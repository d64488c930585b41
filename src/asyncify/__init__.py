"""asyncify: migrate a sync Flask service to FastAPI one endpoint at a time."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
