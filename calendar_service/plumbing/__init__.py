"""The storage plumbing the adapters share: expiring leases in memory, the SQLite file.

Below every other package, knowing nothing of the calendar: `leases.MemoryLeases` (the memory
twins' leases: the views' catch-up lease, the reminder claims) and `sqlite.SqliteFile` (the
three SQLite adapters' file). Each adapter keeps its own error type and wording, and gives them.
"""
