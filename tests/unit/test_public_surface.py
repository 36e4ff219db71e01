"""The event log's public surface is deliberate: other layers may use exactly these names."""

import calendar_service.eventstore as eventstore


def test_eventstore_exports_the_port_and_not_the_adapters() -> None:
    assert sorted(eventstore.__all__) == sorted(
        [
            "MAX_BATCH_EVENTS",
            "MAX_EVENT_BYTES",
            "AppendResult",
            "ConcurrencyError",
            "DuplicateEventConflict",
            "EventStore",
            "EventStoreError",
            "EventTooLarge",
            "InvalidAppend",
            "InvalidEventData",
            "InvalidStreamId",
            "NewEvent",
            "StoreUnavailable",
            "StoredEvent",
            "Upcasters",
            "iter_all",
        ]
    )
    for name in eventstore.__all__:
        assert hasattr(eventstore, name)
    assert not {"SqliteEventStore", "RedisEventStore", "MemoryEventStore"} & set(dir(eventstore))
