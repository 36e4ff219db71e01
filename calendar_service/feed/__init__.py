"""The iCalendar feed staff subscribe to: feed tokens, which items a feed shows, how they are
rendered with icalendar, and the cache that serves the bytes."""
