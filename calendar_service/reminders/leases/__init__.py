"""Claims: short-lived, expiring ownership of a key, shared by every process of a deployment.

Two uses: a reminder's delivery claims its reminder id, so two workers (or a worker and a
redelivered copy of its task) never send it at once; and the reminder scheduler claims the key
`scheduler`, renewed as a heartbeat, so exactly one scheduler is active. A claim expires by
itself when its holder dies, so nothing waits on a crashed process for longer than its `ttl`.

Beside each claim, `mark` keeps a delivery's progress (which recipient was reached), so a retry
after a crash sends only to those still waiting. The event log keeps the final word: a
reminder's outcome event.

The port `Claims` and its memory twin live here; `sqlite.SqliteClaims` (embedded) and
`redis.RedisClaims` (shared deployments) are chosen by `calendar_service.bootstrap` only.
"""

from calendar_service.reminders.leases.base import (
    Admission,
    Admissions,
    Claims,
    ClaimsError,
    ClaimsUnavailable,
    Gate,
    MemoryClaims,
)

__all__ = [
    "Admission",
    "Admissions",
    "Claims",
    "ClaimsError",
    "ClaimsUnavailable",
    "Gate",
    "MemoryClaims",
]
