"""Business logic. Views import the common entry points from here."""

from .catalog import get_book, list_books
from .pricing import PricingClient, get_pricing_client

__all__ = ["PricingClient", "get_book", "get_pricing_client", "list_books"]
