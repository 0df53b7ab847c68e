"""The store: the only code that talks to Redis.

What lives here: the key schema of a hall (`keys.py`: every key under the hall's hash tag,
so a hall is one slot of a Redis Cluster), the Redis client and its errors (`connection.py`:
`open_redis` for one server, a cluster or the master Sentinel names; redis-py's failures
raised as `hall.contract.errors.StoreUnavailable`), riding through short outages
(`ride_through.py`: retried by the one backoff rule for a bounded time, then refused fast),
the commit script and the records it writes (`hall_store.py`, `commit.py`, `commit.lua`), the
outbox streams the back-office relay and `hall outbox` work on (`outbox.py`, implementing
`portal_link.outbox_port.OutboxStore`), the history's consumer group on the same stream
(`outbox_history.py`, implementing `hall.history.outbox_port.HistoryFeed`; `release.lua`
deletes an entry once every group has taken it), the lease that says which hub of a hall is
active (`lease.py`), the dashboard's sign-in sessions (`sessions.py`), alarm
acknowledgements and when each device last went online or offline, the pages' and the
windows' failed sign-ins (`login_attempts.py`), the staff accounts with their audit
stream (`users.py`), and the records of pages captured at the windows (`documents.py`).
Callers see the store's own errors, never redis-py's.

May import: `hall.domain`, `hall.contract`, `portal_link` (the outbox's interface and
policy), `hall.history` (its outbox interface), redis-py.
"""
