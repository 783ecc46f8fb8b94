"""Bulk campaigns: reading the CSV (input), the journaled job and its runner (engine)."""
