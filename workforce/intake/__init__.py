"""Partner data intake: read a society's membership export, map it to standard records.

Reading, column detection, value mapping and validation live here as pure functions over
pandas/Arrow tables; the platform stores uploads and mappings and calls them.
"""
