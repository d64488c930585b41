"""Row -> JSON-ready dict. Values keep their Python types (Decimal, date, datetime) and
Flask's JSON provider renders them (Decimal as a string, dates as HTTP dates)."""

from __future__ import annotations

from typing import Any


def book_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "isbn": row["isbn"],
        "title": row["title"],
        "author": {"id": row["author_id"], "name": row["author_name"]},
        "list_price": row["list_price"],
        "stock": row["stock"],
        "in_stock": row["stock"] > 0,
        "published_on": row["published_on"],
        "metadata": row["metadata"],
        "updated_at": row["updated_at"],
    }


def order_summary_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "currency": row["currency"],
        "total": row["total"],
        "placed_at": row["created_at"].isoformat(),
    }
