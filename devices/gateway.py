"""The serial gateway: the devices wired to one host, each a contract device on MQTT.

`hall gateway --config gateway.toml` reads the file (`devices.gateway_config`), makes one
`GatewayLink` per bound device (its own client id, retained status with a will, its `state`,
`cmd` and `res` topics) and one driver per `[[serial]]` entry (`devices.drivers.DRIVERS`),
and runs them all under one TaskGroup. A port that vanishes is reopened with backoff, a
malformed frame is logged and skipped, a broker that goes away is reconnected to: only
Ctrl-C or SIGTERM stop the gateway, and then every device's status goes `offline`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from devices.drivers.base import Binding, DriverEnv, SerialDriver
from devices.font import load_font
from devices.gateway_config import GatewayConfig
from devices.links import GatewayLink
from displays.bitmap import HexFont
from hall.contract.wire import Topics

log = logging.getLogger("devices.gateway")
GOODBYE_TIMEOUT_S = 3.0


class Gateway:
    def __init__(self, config: GatewayConfig, font: HexFont | None = None) -> None:
        if config.needs_font and font is None:
            raise ValueError("this gateway has cards that draw pixels: pass the loaded font")
        self.config = config
        topics = Topics(config.hall)
        env = DriverEnv(topics=topics, font=font)
        self.links: dict[str, GatewayLink] = {}
        self.drivers: list[SerialDriver] = []
        for entry in config.serial:
            extra = entry.driver.extra_topics(entry.options, topics)
            bound: dict[str, GatewayLink] = {}
            for device in entry.device_ids:
                link = GatewayLink(config.endpoint_for(device), config.hall, device, extra)
                self.links[device] = bound[device] = link
            binding = Binding(links=bound, addresses=entry.addresses)
            self.drivers.append(entry.driver.create(entry.spec, binding, entry.options, env))

    @classmethod
    async def create(cls, config: GatewayConfig) -> Gateway:
        """A gateway with its font loaded (off the event loop: the full Unifont takes a while)."""
        font = None
        if config.needs_font:
            font = await asyncio.to_thread(load_font, config.font)
            log.info("font: %d glyphs from %s", len(font), config.font or "the default")
        return cls(config, font)

    async def run(self) -> None:
        """Run every link and driver until cancelled; then say goodbye on the broker."""
        log.info(
            "gateway for hall %s: %d ports, devices %s, broker %s:%d",
            self.config.hall,
            len(self.drivers),
            ", ".join(self.links),
            self.config.broker.host,
            self.config.broker.port,
        )
        async with asyncio.TaskGroup() as links:
            for link in self.links.values():
                links.create_task(link.run(), name=f"link {link.device_id}")
            try:
                async with asyncio.TaskGroup() as drivers:
                    for driver in self.drivers:
                        drivers.create_task(driver.run(), name=f"driver {driver.label}")
            finally:
                await self.go_offline()

    async def go_offline(self) -> None:
        """Publish every device's retained status `offline` while the links are still up."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(GOODBYE_TIMEOUT_S):
                await asyncio.gather(
                    *(link.go_offline() for link in self.links.values()), return_exceptions=True
                )

    async def ready(self, timeout: float = 10.0) -> None:
        """Wait until every link is connected and every port is open."""
        waits = [link.link.connected.wait() for link in self.links.values()]
        waits += [driver.connected.wait() for driver in self.drivers]
        async with asyncio.timeout(timeout):
            await asyncio.gather(*waits)


async def serve_gateway(config: GatewayConfig) -> None:
    """Run the gateway until SIGTERM or SIGINT."""
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: main.cancel() if main else None)
    gateway = await Gateway.create(config)
    try:
        await gateway.run()
    except asyncio.CancelledError:
        log.info("gateway for hall %s stopped", config.hall)
        raise
