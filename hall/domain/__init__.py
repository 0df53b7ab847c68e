"""Pure domain core: ticket and window state machines, queue policy, numbering, wait estimate,
the domain events (frozen classes, one per type of the contract's `events` topic), the
staff roles and what each may do (`roles.py`), and a clerk's sign-in check (`staff.py`).

May import: the standard library only; nothing here imports asyncio or any I/O library."""
