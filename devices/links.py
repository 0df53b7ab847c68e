"""The gateway's contract devices on MQTT: a `DeviceLink` whose retained status can carry
more than `{"state": "online"}`.

A device the gateway speaks for is a contract device like any other: its own client id (its
device id), its retained `status` with a will that turns it `offline`, its `state`, `cmd` and
`res` subscriptions. A driver may add fields to the status, e.g. a printer's
`{"state": "online", "online": true, "paper": "ok"}`; `state` keeps its contract meaning
(the device's link is up), the added fields say how the hardware behind it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hall.contract.device import DeviceLink
from hall.contract.link import Endpoint
from hall.contract.wire import dumps


class GatewayLink(DeviceLink):
    def __init__(
        self, endpoint: Endpoint, hall_id: str, device_id: str, extra_topics: Sequence[str] = ()
    ) -> None:
        super().__init__(endpoint, hall_id, device_id, extra_topics)
        self.status_fields: dict[str, Any] = {}

    def status_payload(self) -> dict[str, Any]:
        return {**self.status_fields, "state": "online"}

    async def _on_connect(self) -> None:
        self.link.publish(self.topic("status"), dumps(self.status_payload()), retain=True)

    def update_status(self, **fields: Any) -> None:
        """Add or change status fields; the retained status is republished when they change."""
        merged = {**self.status_fields, **fields}
        merged.pop("state", None)  # the contract's field: only the link's life sets it
        if merged == self.status_fields:
            return
        self.status_fields = merged
        if self.link.connected.is_set():
            self.link.publish(self.topic("status"), dumps(self.status_payload()), retain=True)
