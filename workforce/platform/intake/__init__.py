"""Partner intake on the web: mappings per society, and the ingest runs of their uploads."""
