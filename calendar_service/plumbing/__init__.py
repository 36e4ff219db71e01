"""The storage plumbing the adapters share: leases in memory, a Redis client, a SQLite file.

Below every other package, knowing nothing of the calendar: `leases.MemoryLeases` (the memory
twins' leases: the views' catch-up lease, the reminder claims), `redis.RedisClient` (the Redis
views store's and claims' connection, errors and leases) and `sqlite.SqliteFile` (the three
SQLite adapters' file), and `urls.mask_url` (a URL as it may be printed, its password masked).
Each adapter keeps its own error type and wording, and gives them.
"""
