"""notes: a Flask + Flask-SQLAlchemy service (users, notebooks, notes, tags) on PostgreSQL."""
