"""The hub: the engine that decides and commits (`engine.py`), the one request path of every
transport (`dispatch.py`) with its per-device request limits (`rate_limit.py`), what is
published after a commit (`publish.py`), device presence (`presence.py`), the key pair that
opens sealed ID numbers (`keys.py`), a clerk's sign-in at a window (`staff.py`: the user looked
up and the PIN checked before `window.open` is decided), housekeeping, which of several hubs is
the active one (`lease.py`: standing by, taking over, keeping the lease), the hub's own
`/healthz` and `/metrics` (`http.py`, with the report and gauges of `health.py`), the HTTP
server with its connection cap and timeouts (`http_server.py`), the composition root that
starts every part (`runtime.py`; several halls in one process: `halls.py`), the documents
captured at the windows (`documents.py`, their sealed files in `document_vault.py` or an
S3-compatible store, `document_s3.py`), and the embedded
broker and Redis (`embedded.py`; the broker's logins and topic rules in `embedded_access.py`).

May import: `hall.domain`, `hall.contract`, `hall.store`, `hall.voice`, `displays`,
`portal_link`, `hall.history` (the composition root runs the history's consumer). Never
`hall.web` or `hall.cli` (the web application is handed in by the command line).
"""
