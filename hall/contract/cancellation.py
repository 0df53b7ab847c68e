"""A task's cancellation that a library call swallowed, raised again.

redis-py can lose a task's CancelledError when the cancel arrives in the middle of a command
(redis/redis-py#2028; seen with 8.1 on XREADGROUP, pipelines and scripts): the call returns
as if nothing happened and the task runs on. A retry or renewal loop then never ends, and
whoever cancelled it waits for ever. The task still counts the request (`Task.cancelling()`:
`asyncio.timeout` and `TaskGroup` take back only their own), so checking it after each such
call stops the task as it should.

Only in a task that hosts no `asyncio.TaskGroup`: on Python 3.11 a group whose child fails
while the group waits for its children cancels the host task and never takes that back, so
`cancelling()` stays above zero in a task nobody asked to stop. The loops that check are
therefore each a task of its own, with their Redis calls and no group inside.
"""

from __future__ import annotations

import asyncio

__all__ = ["raise_if_cancel_lost"]


def raise_if_cancel_lost() -> None:
    """Raise CancelledError if the current task was asked to stop and is still running."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
