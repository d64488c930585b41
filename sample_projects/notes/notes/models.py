"""ORM models: one-to-many (user → notebooks → notes) and many-to-many (notes ↔ tags).

Relationships use the default ``lazy="select"``: the serializers touch them and each touch
is a query. That is what the migration to SQLAlchemy asyncio has to deal with.
"""

from __future__ import annotations

from sqlalchemy import func

from .extensions import db

note_tags = db.Table(
    "note_tags",
    db.Column("note_id", db.ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", db.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.Text, nullable=False, unique=True)
    display_name = db.Column(db.Text, nullable=False)
    notebooks = db.relationship("Notebook", back_populates="owner", order_by="Notebook.id")


class Notebook(db.Model):
    __tablename__ = "notebooks"

    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    title = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, server_default=func.now())
    owner = db.relationship(User, back_populates="notebooks")
    notes = db.relationship("Note", back_populates="notebook", order_by="Note.id",
                            cascade="all, delete-orphan")


class Note(db.Model):
    __tablename__ = "notes"

    id = db.Column(db.Integer, primary_key=True)
    notebook_id = db.Column(db.ForeignKey("notebooks.id", ondelete="CASCADE"), nullable=False)
    author_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    title = db.Column(db.Text, nullable=False)
    body = db.Column(db.Text, nullable=False, default="")
    pinned = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, server_default=func.now())
    notebook = db.relationship(Notebook, back_populates="notes")
    author = db.relationship(User)
    tags = db.relationship("Tag", secondary=note_tags, back_populates="notes",
                           order_by="Tag.name")


class Tag(db.Model):
    __tablename__ = "tags"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.Text, nullable=False, unique=True)
    notes = db.relationship(Note, secondary=note_tags, back_populates="tags", order_by=Note.id)
