"""Ingest: article files and JSON Lines read, parsed and written to the store."""
