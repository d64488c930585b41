"""The Flask-SQLAlchemy extension object, bound to the app in ``create_app``."""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
