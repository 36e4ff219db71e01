"""The read side's public surface is deliberate: the edges use exactly these names."""

import calendar_service.read as read


def test_read_exports_the_agenda_the_history_and_the_decisions() -> None:
    assert sorted(read.__all__) == sorted(
        [
            "ENGAGEMENT_STREAM_PREFIX",
            "MAX_WINDOW_DAYS",
            "Decision",
            "DecisionBoard",
            "board_json",
            "decision_board",
            "decision_json",
            "decisions_now",
            "invitation_lapsed",
            "History",
            "HistoryRow",
            "ItemView",
            "agenda_view",
            "calendar_at",
            "decide_by",
            "decisions",
            "engagement_events",
            "engagement_history",
            "history_rows",
            "viewer_zone",
            "waiting",
            "window",
            "years_around",
        ]
    )
    assert all(hasattr(read, name) for name in read.__all__)


def test_one_agenda_and_one_as_of_fold_remain() -> None:
    import calendar_service.read.history as history

    gone = {"agenda_rows", "AgendaRow", "RowKind", "Axis", "calendar_as_of"}
    assert not gone & set(dir(history))
    assert not gone & set(read.__all__)
