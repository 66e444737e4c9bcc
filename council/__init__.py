"""The council's side: ingest server, storage, admin, import, decrypt, report, demo server."""
