"""End-to-end fixtures live in tests/conftest.py (the outbox tests use them too)."""
