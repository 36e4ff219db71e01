"""Reminders reaching people: the scheduler's rules, exactly-once delivery, the leases that
make it so, and the notifiers (email, webhook, log)."""
