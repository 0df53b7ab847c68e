"""Pure domain core: ticket and window state machines, queue policy, numbering, wait estimate. No I/O."""
