"""gateway: a Flask + requests aggregator in front of the shop's upstream services
(a sample project for asyncify). It has no database."""

from .app import create_app

__all__ = ["create_app"]
