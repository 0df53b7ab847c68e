"""What a hub tells about itself: the report of `/healthz` and the gauges of `/metrics`.

A standby hub reports `"status": "standby"` (and `/healthz` answers 503), so that a load
balancer or a floating address sends the hall's devices and pages to the active hub only.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from hall.contract.errors import StoreUnavailable
from hall.contract.link import MqttLink
from hall.hub.lease import Leadership
from hall.hub.metrics import Registry
from hall.hub.presence import Presence
from hall.store.hall_store import HallStore

if TYPE_CHECKING:
    from hall.hub.hub import Hub

__all__ = ["health_report", "register_gauges"]


async def health_report(
    hub: Hub, store: HallStore, link: MqttLink, presence: Presence, leadership: Leadership
) -> dict[str, Any]:
    """`status` is "ok" only on the active hub with its broker and store; a standby says
    "standby" (and the hall's hub/status as the broker last showed it), a replaced or
    stopping hub "stopped"."""
    try:
        store_ok = await asyncio.wait_for(store.ping(), 2)
    except (StoreUnavailable, TimeoutError):
        store_ok = False
    role = hub.role
    config = hub.config
    if not hub.serving:
        report: dict[str, Any] = {
            "status": role,
            "role": role,
            "hall": config.hall.id,
            "instance": hub.instance,
            "broker": leadership.broker_connected,
            "store": store_ok,
        }
        if leadership.seen_status is not None:
            report["hub_status"] = leadership.seen_status
        return report
    broker_ok = link.delivering()  # connected, and its probe comes back
    state = hub.state
    return {
        "status": "ok" if store_ok and broker_ok else "degraded",
        "role": role,
        "hall": config.hall.id,
        "instance": hub.instance,
        "epoch": hub.epoch,
        "day": state.day,
        "broker": broker_ok,
        "store": store_ok,
        "lease_unconfirmed_s": leadership.unconfirmed_s(),
        "waiting": state.waiting_counts(),
        "devices_online": presence.online_ids(),
        "uptime_s": hub.uptime_s(),
    }


def register_gauges(hub: Hub, metrics: Registry, link: MqttLink, presence: Presence) -> None:
    gauge = metrics.gauge
    gauge(
        "hall_waiting",
        "Tickets waiting, per service",
        lambda: {(("service", k),): float(v) for k, v in hub.state.waiting_counts().items()},
    )
    gauge(
        "hall_devices_online",
        "Devices whose retained status is online",
        lambda: {(): float(presence.online_count())},
    )
    gauge(
        "hall_mqtt_connected",
        "1 while the hub is connected to the broker",
        lambda: {(): 1.0 if link.connected.is_set() else 0.0},
    )
    gauge(
        "hall_mqtt_dropped",
        "Messages dropped on a full queue",
        lambda: {
            (("direction", "in"),): float(link.stats.dropped_incoming),
            (("direction", "out"),): float(link.stats.dropped_outgoing),
        },
    )
    gauge(
        "hall_mqtt_stalls",
        "Connections to the broker dropped because it stopped acknowledging the hub's "
        "messages (ack) or stopped delivering to the hub (delivery), since start",
        lambda: {
            (("kind", "ack"),): float(link.stats.ack_timeouts),
            (("kind", "delivery"),): float(link.stats.delivery_timeouts),
        },
    )
    metrics.counter_read(
        "hall_mqtt_superseded_total",
        "Retained messages replaced by a newer one to the same topic before they were sent",
        lambda: link.stats.superseded,
    )
    gauge(
        "hall_mqtt_outgoing_backlog",
        "Messages queued to be published",
        lambda: {(): float(link.backlog)},
    )
    gauge(
        "hall_events_unacknowledged",
        "Events handed to the broker that it has not acknowledged yet",
        lambda: {(): float(hub.sent_events.outstanding)},
    )
    metrics.counter_read(
        "hall_events_sent_again_total",
        "Events the hub before had not seen acknowledged, sent again when this hub took the hall",
        lambda: hub.sent_events.sent_again,
    )
    gauge("hall_epoch", "This hub's epoch (fencing token)", lambda: {(): float(hub.epoch)})
    gauge(
        "hall_hub_active",
        "1 while this hub holds the hall's lease and serves it, 0 while standing by",
        lambda: {(): 1.0 if hub.serving else 0.0},
    )
