"""asyncify: migrate a sync Flask service to FastAPI one endpoint at a time.

The command line (``asyncify plan``…) is a thin layer over :mod:`asyncify.api`; the catalog of
blocking operations is data, loaded by :func:`load_catalog`.
"""

from __future__ import annotations

from ._catalog import Catalog, Operation, load_catalog
from ._diagnostics import Diagnostic
from .errors import AsyncifyError, CatalogError, ConfigError, InputError, UsageError

__version__ = "0.1.0"

__all__ = [
    "AsyncifyError",
    "Catalog",
    "CatalogError",
    "ConfigError",
    "Diagnostic",
    "InputError",
    "Operation",
    "UsageError",
    "__version__",
    "load_catalog",
]
