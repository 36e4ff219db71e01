"""The views people read, each assembled once: the agenda, an engagement's history, the
decisions waiting. The CLI, the JSON API, the page and the message texts all use these."""
