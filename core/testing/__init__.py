"""Shipped test helpers: start real broker processes (process.py). A pytest plugin will live
here too; nothing in the broker imports this package."""
