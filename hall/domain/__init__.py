"""Pure domain core: ticket and window state machines, queue policy, numbering, wait estimate.

Nothing here imports asyncio or any I/O library."""
