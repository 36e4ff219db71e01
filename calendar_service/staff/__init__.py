"""Staff: the bearer tokens the API accepts, and who is subscribed to reminders and notices."""
