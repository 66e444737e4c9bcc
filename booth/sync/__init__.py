"""Bundles, encryption, the uploader and the council ingest server."""
