"""The read side's public surface is deliberate: other layers may use exactly these names."""

import calendar_service.projections as projections


def test_projections_export_the_port_the_projections_and_no_adapter() -> None:
    assert sorted(projections.__all__) == sorted(
        [
            "PROJECTION_NAMES",
            "AgendaItem",
            "Axis",
            "Batch",
            "CalendarProjection",
            "CatchUpResult",
            "Generation",
            "MemoryViewStore",
            "Nudger",
            "NullNudger",
            "Projection",
            "ProjectionError",
            "ProjectionStatus",
            "Projector",
            "RebuildResult",
            "ThreadNudger",
            "UnknownProjection",
            "ViewStore",
            "ViewStoreError",
            "ViewsAhead",
            "ViewsUnavailable",
            "agenda",
            "calendar_as_of",
            "catch_up",
            "default_projections",
            "digest",
            "dump",
            "log_as_of",
            "rebuild",
            "replay_into",
            "views_as_of",
        ]
    )
    assert all(hasattr(projections, name) for name in projections.__all__)
    assert not {"SqliteViewStore", "RedisViewStore"} & set(dir(projections))
    assert tuple(p.name for p in projections.default_projections()) == projections.PROJECTION_NAMES
