"""A fake of the external services the sample apps call (catalog, pricing, inventory, reviews,
recommendations, currency, shipping, fulfilment), with injectable latency and failures.

Run it with ``python -m uvicorn upstream.app:app`` from ``sample_projects/``.
"""
