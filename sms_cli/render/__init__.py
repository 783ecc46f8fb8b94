"""Rendering: results to JSON documents or human tables. Output streams live in `output`."""
