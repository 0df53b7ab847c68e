"""A whole hall day at any speed (`hall simulate`): citizens arriving, clerks calling, serving,
pausing, recalling and transferring, all driven through the real pure core (`hall.domain`'s
`decide` and `HallState.apply`) on a simulated clock; the day's report and its charts.

May import: `hall.domain`, `hall.contract` (the configuration checks) and the standard library;
no I/O (the command in `hall/cli/` reads the files and writes the report)."""
