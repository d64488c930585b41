"""Blueprints: ``notes`` at /api/notes, ``library`` at /api."""
