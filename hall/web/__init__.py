"""The web side: the pages and their static files, the tickets' QR codes, the live WebSockets,
the HTTP API for the back office, the history's reports (`reports.py`), login sessions and
sign-in throttling (`login_guard.py`), the per-client mailbox and the dashboard's snapshot,
the dashboard's staff section (sessions, users, lockouts, audit: `staff_admin.py`); the
origins and headers of every answer (`security.py`) and the bounds on requests, bodies and
API rates (`limits.py`).

May import: everything below it (`hall.hub`, `hall.store`, `hall.contract`, `hall.domain`,
`displays`, `portal_link`, `hall.history`). Never `hall.cli`.
"""
