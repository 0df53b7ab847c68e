"""One case per visit: a no-show put back into the queue and then served reaches the back
office as two cases, each with its own case id, each stored exactly once, with the services
the clerk recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import OfficeServer, relayed_hall

pytestmark = pytest.mark.usefixtures("redis_client")


async def test_a_requeued_no_show_is_one_case_per_visit(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer
) -> None:
    office = back_office
    async with relayed_hall(portal_config_path, hall_id) as (_running, c, run):
        no = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"]
        await c.ok("pad-1", "call.next")
        await c.ok("pad-1", "call.no_show")
        await c.ok("pad-1", "ticket.requeue", {"no": no})
        assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == no
        await c.ok("pad-1", "ticket.finish", {"services_done": ["A", "B"]})
        await run.until(lambda: office.stored() == 2, "both visits' cases stored")
        cases = office.office.store.list("case")
        first = f"{hall_id}-{cases[0]['issued_at'][:10]}-{no}"
        second = f"{first}-2"
        assert [case["case_id"] for case in cases] == [first, second]
        assert [case["outcome"] for case in cases] == ["no_show", "done"]
        assert [case["visit"] for case in cases] == [1, 2]
        assert [case["services_done"] for case in cases] == [[], ["A", "B"]]
        assert office.office.stats.duplicates == 0
        assert len({case["webhook_id"] for case in cases}) == 2
