"""2,000 devices connecting at once to one hub, each with its own broker login.

One hall file of 2,000 devices (per 2,000: 400 windows each with a window pad, an LED strip
and a rating pad; 300 kiosks each with its printer; 80 LED boards, 80 screens, 40 speakers),
every device with its own `password_hash`, and an integration account for the benchmark's
watcher. `hall acl` writes Mosquitto's password and access-list files from it (the same
files a hall installs); the private Mosquitto takes those logins only (`allow_anonymous
false`). The hub runs as its own process with the default `[rate_limits]`.

The devices are plain aiomqtt clients in two worker processes (half each), as a vendor's
devices would be: at one instant every device starts to connect (user name = client id =
its id, its will the retained `status` offline); once connected it subscribes to its `res`
topic and to what it shows (a window device its retained `state`, a kiosk the retained
`services`, a board or screen the `board`, a printer or speaker `hub/status`), publishes its
retained `status` online and sends one `ticket.status` request. Per device, from the storm's
start: connected (CONNACK), its first retained state, the hub's first answer, and ready (the
later of both). The hub's own count of online devices (`hall_devices_online` of /metrics) is
polled meanwhile. Resident memory of the hub and Mosquitto is read before the storm and once
every device is ready. Then, all 2,000 still connected, kiosks of the first worker send a paced
sample of `ticket.take`.

    python -m bench.fleet                  # full run: prints, and writes its BENCHMARKS.md section
    python -m bench.fleet --scale 0.05     # a quick smoke run (100 devices): prints only
    python -m bench.fleet --no-write       # full run, prints only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt

from hall.cli.acl import write_acl_files
from hall.contract.access import mosquitto_hash
from hall.contract.config import load_config
from hall.contract.ports import free_port
from tests.support import write_hall_config

from .cpu import CpuMeter, describe
from .infra import Servers, private_servers
from .load import mqtt_client, percentile
from .procs import hub_process, metric, rss_kib
from .sections import put_section
from .targets import SERVICE_CODES, new_hall_id

DEVICES = 2_000
WORKERS = 2
STORM_TIMEOUT_S = 120.0  # every device ready within this, or the run says which were not
SAMPLE_COUNT = 300
SAMPLE_RATE = 50.0  # ticket.take per second while the fleet stays connected
SAMPLE_KIOSKS = 60  # spread over this many kiosks: within each kiosk's default request limit
HUB_USER, WATCHER = "hub", "bench-watch"
SECTION = "## 2,000 devices on one hub (`python -m bench.fleet`)"
END = "<!-- end of the fleet section (python -m bench.fleet) -->"


# ----- the hall --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """One device of the fleet: its login and the retained topic it waits for."""

    id: str
    kind: str
    password: str
    shows: str  # the leaf under hall/<id>/ of its first retained state


def fleet_devices(total: int) -> list[dict[str, Any]]:
    """The hall's devices: per 2,000, 400 windows × (pad, LED strip, rating pad), 300 kiosks
    with a printer each, 80 LED boards, 80 screens and the rest speakers."""
    windows = max(1, total * 400 // DEVICES)
    kiosks = max(1, total * 300 // DEVICES)
    boards = screens = max(1, total * 80 // DEVICES)
    speakers = max(1, total - 3 * windows - 2 * kiosks - boards - screens)
    devices: list[dict[str, Any]] = []
    for n in range(1, windows + 1):
        for kind, prefix in (("window_pad", "pad"), ("led_window", "led"), ("evaluator", "eval")):
            devices.append({"id": f"{prefix}-{n}", "kind": kind, "window": str(n)})
    for n in range(1, kiosks + 1):
        devices.append({"id": f"kiosk-{n}", "kind": "kiosk", "printer": f"printer-{n}"})
        devices.append({"id": f"printer-{n}", "kind": "printer"})
    devices += [{"id": f"board-{n}", "kind": "led_board"} for n in range(1, boards + 1)]
    devices += [{"id": f"screen-{n}", "kind": "screen"} for n in range(1, screens + 1)]
    devices += [{"id": f"speaker-{n}", "kind": "speaker"} for n in range(1, speakers + 1)]
    return devices


def shows(device: dict[str, Any]) -> str:
    kind = device["kind"]
    if "window" in device:
        return f"dev/{device['id']}/state"
    return {"kiosk": "services", "led_board": "board", "screen": "board"}.get(kind, "hub/status")


@dataclass
class Fleet:
    """The hall's devices with their logins, and the hub's and the watcher's passwords."""

    devices: list[dict[str, Any]]
    specs: list[Spec]
    hub_password: str
    watcher_password: str


def make_fleet(total: int) -> Fleet:
    devices = fleet_devices(total)
    specs: list[Spec] = []
    for device in devices:
        password = secrets.token_urlsafe(12)
        device["password_hash"] = mosquitto_hash(password)
        specs.append(Spec(device["id"], device["kind"], password, shows(device)))
    return Fleet(devices, specs, secrets.token_urlsafe(16), secrets.token_urlsafe(16))


@dataclass
class Hall:
    hall_id: str
    path: Path
    http_port: int
    fleet: Fleet


def write_hall(folder: Path, fleet: Fleet, hall_id: str, servers: Servers | None) -> Hall:
    """The hall file on `servers` (before they run: a placeholder broker and store)."""
    host, port = (servers.host, servers.mqtt_port) if servers else ("127.0.0.1", 1)
    redis_url = servers.redis_url if servers else "redis://127.0.0.1:1/0"
    http_port = free_port()
    pads = sum(1 for d in fleet.devices if d["kind"] == "window_pad")
    windows = [
        {"id": str(n), "services": [SERVICE_CODES[(n - 1 + k) % 26] for k in range(3)]}
        for n in range(1, pads + 1)
    ]
    path = write_hall_config(
        folder,
        hall_id,
        f"mqtt://{HUB_USER}:{fleet.hub_password}@{host}:{port}",
        redis_url,
        http_port=http_port,
        services=[{"code": c, "name": f"业务{c}"} for c in SERVICE_CODES],
        windows=windows,
        devices=fleet.devices,
        rate_limits=None,  # the defaults a hall runs with
    )
    account = {
        "name": WATCHER,
        "role": "integration",
        "password_hash": mosquitto_hash(fleet.watcher_password),
    }
    text = path.read_text(encoding="utf-8")
    lines = [f"{k} = {json.dumps(v)}" for k, v in account.items()]
    path.write_text(text + "\n[[broker.accounts]]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return Hall(hall_id, path, http_port, fleet)


def logins_for(folder: Path, fleet: Fleet, hall_id: str) -> str:
    """Mosquitto's settings for the hall's logins: the files `hall acl` writes from the hall
    file (a login's hash does not depend on the broker's address, so a draft of it does)."""
    draft = write_hall(folder, fleet, hall_id, None)
    files = write_acl_files(load_config(draft.path), folder / "acl")
    return "\n".join(
        ["allow_anonymous false", f"password_file {files.passwd}", f"acl_file {files.acl}"]
    )


# ----- the devices (in the worker processes) ---------------------------------------------------
@dataclass
class Outcome:
    """What one device saw, in seconds from the storm's start (None: not in time)."""

    id: str
    connected: float | None = None
    state: float | None = None
    answer: float | None = None
    answer_code: str = ""
    error: str = ""

    @property
    def ready(self) -> float | None:
        if self.state is None or self.answer is None:
            return None
        return max(self.state, self.answer)


@dataclass
class FleetDevice:
    spec: Spec
    host: str
    port: int
    hall_id: str
    outcome: Outcome = field(init=False)
    client: aiomqtt.Client = field(init=False)
    waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    got_state: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None
    counter: int = 0

    def __post_init__(self) -> None:
        root = f"hall/{self.hall_id}"
        self.dev = f"{root}/dev/{self.spec.id}"
        self.shows = f"{root}/{self.spec.shows}"
        self.outcome = Outcome(self.spec.id)
        offline = json.dumps({"state": "offline"})
        self.client = mqtt_client(
            self.host,
            self.port,
            self.spec.id,
            username=self.spec.id,
            password=self.spec.password,
            will=aiomqtt.Will(f"{self.dev}/status", offline, qos=1, retain=True),
            timeout=STORM_TIMEOUT_S,
        )

    async def start(self, t0: float) -> None:
        try:
            await self.client.__aenter__()
            self.outcome.connected = time.monotonic() - t0
            self.reader = asyncio.create_task(self._read(t0))
            await self.client.subscribe([(f"{self.dev}/res", 1), (self.shows, 1)])
            online = json.dumps({"state": "online"})
            await self.client.publish(f"{self.dev}/status", online, qos=1, retain=True)
            reply = await self.request("ticket.status", {"no": "A999"})
            self.outcome.answer = time.monotonic() - t0
            self.outcome.answer_code = "ok" if reply.get("ok") else reply["error"]["code"]
            await asyncio.wait_for(self.got_state.wait(), STORM_TIMEOUT_S)
        except (aiomqtt.MqttError, TimeoutError, OSError) as exc:
            self.outcome.error = f"{type(exc).__name__}: {exc}"

    async def _read(self, t0: float) -> None:
        async for message in self.client.messages:
            topic = message.topic.value
            if topic == self.shows:
                if self.outcome.state is None:
                    self.outcome.state = time.monotonic() - t0
                self.got_state.set()
                continue
            payload = message.payload if isinstance(message.payload, bytes) else b"{}"
            with contextlib.suppress(ValueError, AttributeError):
                data = json.loads(payload)
                waiter = self.waiting.pop(str(data.get("id")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(data)

    async def request(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        self.counter += 1
        rid = f"{self.spec.id}-{self.counter}"
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[rid] = waiter
        body = json.dumps({"id": rid, "op": op, "args": args})
        try:
            await self.client.publish(f"{self.dev}/req", body, qos=1)
            return await asyncio.wait_for(waiter, STORM_TIMEOUT_S)
        finally:
            self.waiting.pop(rid, None)

    async def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        with contextlib.suppress(Exception):
            await self.client.__aexit__(None, None, None)


async def sample_takes(kiosks: Sequence[FleetDevice], count: int, rate: float) -> list[Any]:
    """`count` takes paced at `rate`, round-robin over the kiosks: (latency s, ok) each."""
    loop = asyncio.get_running_loop()

    async def one(i: int) -> tuple[float, bool]:
        sent = time.perf_counter()
        reply = await kiosks[i % len(kiosks)].request(
            "ticket.take", {"service": SERVICE_CODES[i % len(SERVICE_CODES)]}
        )
        return time.perf_counter() - sent, bool(reply.get("ok"))

    start = loop.time() + 0.05
    tasks = []
    for i in range(count):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return [r if not isinstance(r, BaseException) else repr(r) for r in results]


async def worker_loop(
    conn: Connection, host: str, port: int, hall_id: str, specs: list[Spec]
) -> None:
    loop = asyncio.get_running_loop()
    # aiomqtt makes its blocking connect in the loop's default executor (os.cpu_count() + 4
    # threads): a thread per device, so that every device really connects at once.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=len(specs) + 4))
    devices = [FleetDevice(spec, host, port, hall_id) for spec in specs]
    conn.send(("loaded", os.getpid()))
    t0 = await loop.run_in_executor(None, conn.recv)
    await asyncio.sleep(max(0.0, t0 - time.monotonic()))
    await asyncio.gather(*(d.start(t0) for d in devices))
    conn.send(("storm", [d.outcome for d in devices]))
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command[0] == "sample":
            kiosks = [d for d in devices if d.spec.kind == "kiosk" and d.outcome.ready]
            conn.send(("sample", await sample_takes(kiosks[: command[3]], command[1], command[2])))
        else:
            break
    await asyncio.gather(*(d.stop() for d in devices))
    conn.send(("stopped", None))


def worker(conn: Connection, host: str, port: int, hall_id: str, specs: list[Spec]) -> None:
    """A worker process: its share of the fleet, told what to do over `conn`."""
    asyncio.run(worker_loop(conn, host, port, hall_id, specs))


# ----- the run -----------------------------------------------------------------------------------
def open_file_limit(pid: int) -> int:
    """A process's soft limit of open files (0 when unknown)."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return int(line.split()[3])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def listen_overflows() -> int:
    """The machine's count of connections dropped because a listen queue was full (TcpExt
    ListenOverflows): a connect storm beyond the broker's backlog shows here, each dropped
    SYN sent again by the client's kernel after 1 s, then 3 s, ..."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split(), values.split(), strict=False))
            return int(table.get("ListenOverflows", 0))
    return 0


@dataclass
class Result:
    devices: int
    outcomes: list[Outcome]
    hub_saw_all: float | None
    hub_rss: tuple[int, int]
    mosquitto_rss: tuple[int, int]
    cpu: dict[str, float]
    cpu_wall: float  # seconds over which `cpu` was measured: the storm and the hub's count
    storm_wall: float
    overflows: int  # connections the machine's listen queues dropped during the storm
    mosquitto_files: int  # Mosquitto's soft limit of open files
    sample: list[Any]
    sample_kiosks: int


async def receive(conn: Connection, kind: str, timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    ready = await asyncio.wait_for(loop.run_in_executor(None, conn.poll, timeout), timeout + 5)
    if not ready:
        raise RuntimeError(f"a worker sent no {kind} within {timeout:.0f} s")
    got, value = conn.recv()
    if got != kind:
        raise RuntimeError(f"a worker sent {got}, not {kind}")
    return value


async def watch_hub(port: int, total: int, t0: float, stop: asyncio.Event) -> float | None:
    """When the hub's /metrics first counted every device online (s from t0)."""
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                if (await metric(http, port, "hall_devices_online") or 0) >= total:
                    return time.monotonic() - t0
            await asyncio.sleep(0.2)
    return None


async def measure(servers: Servers, hall: Hall, total: int) -> Result:
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    procs = []
    async with hub_process(
        servers, hall.path, [hall.hall_id], login=(WATCHER, hall.fleet.watcher_password)
    ) as hub:
        shares = [hall.fleet.specs[w::WORKERS] for w in range(WORKERS)]
        try:
            for share in shares:
                parent, child = context.Pipe()
                proc = context.Process(
                    target=worker,
                    args=(child, servers.host, servers.mqtt_port, hall.hall_id, share),
                    daemon=True,
                )
                proc.start()
                pipes.append(parent)
                procs.append(proc)
            pids = [await receive(p, "loaded", 120) for p in pipes]
            await asyncio.sleep(2.0)  # the hub settles after its start
            hub_before = rss_kib(hub.pid)
            mosquitto_before = rss_kib(servers.mosquitto_pid)
            meter = CpuMeter(
                {
                    **{f"devices {n + 1}": pid for n, pid in enumerate(pids)},
                    "hub": hub.pid,
                    "mosquitto": servers.mosquitto_pid,
                    "redis": servers.redis_pid,
                }
            )
            t0 = time.monotonic() + 1.0
            for pipe in pipes:
                pipe.send(t0)
            meter.start()
            overflows = listen_overflows()
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch_hub(hall.http_port, total, t0, stop))
            outcomes: list[Outcome] = []
            for pipe in pipes:
                outcomes += await receive(pipe, "storm", STORM_TIMEOUT_S * 3)
            storm_wall = time.monotonic() - t0
            overflows = listen_overflows() - overflows
            try:
                saw_all = await asyncio.wait_for(asyncio.shield(watcher), 30)
            except TimeoutError:
                saw_all = None
            stop.set()
            await watcher
            cpu = meter.stop()
            cpu_wall = meter.wall_s
            await asyncio.sleep(1.0)
            hub_after = rss_kib(hub.pid)
            mosquitto_after = rss_kib(servers.mosquitto_pid)
            kiosks = min(SAMPLE_KIOSKS, max(1, sum(1 for s in shares[0] if s.kind == "kiosk")))
            count = max(20, round(SAMPLE_COUNT * total / DEVICES))
            pipes[0].send(("sample", count, SAMPLE_RATE, kiosks))
            sample = await receive(pipes[0], "sample", 120)
            for pipe in pipes:
                pipe.send(("stop",))
            for pipe in pipes:
                await receive(pipe, "stopped", 120)
        finally:
            for proc in procs:
                proc.join(10)
                if proc.is_alive():
                    proc.kill()
    return Result(
        total,
        outcomes,
        saw_all,
        (hub_before, hub_after),
        (mosquitto_before, mosquitto_after),
        cpu,
        cpu_wall,
        storm_wall,
        overflows,
        open_file_limit(servers.mosquitto_pid),
        sample,
        kiosks,
    )


# ----- the section -------------------------------------------------------------------------------
def fmt_s(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.2f}" if values else "–"


def render(result: Result, when: str) -> str:
    outcomes = result.outcomes
    rows = [
        ("connected (CONNACK)", [o.connected for o in outcomes]),
        ("first retained state", [o.state for o in outcomes]),
        ("first answer (`ticket.status`)", [o.answer for o in outcomes]),
        ("ready (both)", [o.ready for o in outcomes]),
    ]
    n = result.devices
    lines = [
        SECTION,
        "",
        f"`python -m bench.fleet` ({when}): {n:,} devices of one hall, each with its own broker "
        "login (`hall acl`'s password and access-list files on the private Mosquitto, "
        "`allow_anonymous false`), connecting at one instant from two worker processes of "
        "aiomqtt clients (no bound on concurrent connects); the hub with the default "
        "`[rate_limits]`. Times in seconds from the storm's start; a device is ready once it "
        "has both its first retained state (a window device its `state`, a kiosk `services`, a "
        "board or screen `board`, a printer or speaker `hub/status`) and the hub's answer to "
        "its first request.",
        "",
        "| step | devices | p50 s | p95 s | max s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, values in rows:
        got = [v for v in values if v is not None]
        lines.append(
            f"| {name} | {len(got):,} | {fmt_s(got, 50)} | {fmt_s(got, 95)} | {fmt_s(got, 100)} |"
        )
    failed = [o for o in outcomes if o.ready is None]
    codes: dict[str, int] = {}
    for o in outcomes:
        if o.answer_code:
            codes[o.answer_code] = codes.get(o.answer_code, 0) + 1
    hub_before, hub_after = result.hub_rss
    mq_before, mq_after = result.mosquitto_rss
    saw = "never within 30 s" if result.hub_saw_all is None else f"{result.hub_saw_all:.2f} s"
    lines += [
        "",
        "| process | RSS before | RSS with the fleet | per device |",
        "| --- | ---: | ---: | ---: |",
        f"| hub | {hub_before / 1024:.1f} MiB | {hub_after / 1024:.1f} MiB | "
        f"{(hub_after - hub_before) / n:.1f} KiB |",
        f"| Mosquitto | {mq_before / 1024:.1f} MiB | {mq_after / 1024:.1f} MiB | "
        f"{(mq_after - mq_before) / n:.1f} KiB |",
        "",
    ]
    sample = [s for s in result.sample if isinstance(s, list | tuple)]
    latencies = [float(s[0]) for s in sample]
    errors = sum(1 for s in sample if not s[1])
    lost = len(result.sample) - len(sample)
    lines += [
        f"`ticket.take` while the {n:,} stay connected: {len(result.sample)} requests paced at "
        f"{SAMPLE_RATE:.0f}/s over {result.sample_kiosks} kiosks.",
        "",
        "| answered | errors | lost | p50 ms | p95 ms | p99 ms | max ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(latencies)} | {errors} | {lost} | {percentile(latencies, 50) * 1000:.1f} | "
        f"{percentile(latencies, 95) * 1000:.1f} | {percentile(latencies, 99) * 1000:.1f} | "
        f"{percentile(latencies, 100) * 1000:.1f} |",
        "",
        f"- Storm: the last device ready {result.storm_wall:.2f} s after the start; the hub's "
        f"`hall_devices_online` reached {n:,} at {saw}. Devices not ready: {len(failed)}"
        + (f" (first: {failed[0].id} {failed[0].error})" if failed else "")
        + ". Answers to the first request: "
        + ", ".join(f"`{k}` {v:,}" for k, v in sorted(codes.items()))
        + " (`not_found`: no ticket A999 yet, the expected answer).",
        f"- Listen-queue overflows on the machine during the storm (TcpExt ListenOverflows): "
        f"{result.overflows:,}. Each is a SYN the broker's full accept queue dropped; the "
        "device's kernel sends it again 1 s later, then 3 s, so the connect times bunch at "
        "those steps (Mosquitto listens with a backlog of 100).",
        f"- Mosquitto ran with a soft limit of {result.mosquitto_files:,} open files. Started "
        "by Debian's `mosquitto.service`, which sets no `LimitNOFILE`, it gets systemd's "
        "default of 1,024, and Mosquitto 2.0.11 then accepted 1,016 clients and refused the "
        "rest (checked by hand on this machine with `prlimit --nofile=1024`): a hall of more "
        "than about 1,000 devices needs `LimitNOFILE` raised for the broker as well.",
        f"- {describe(result.cpu)} Over {result.cpu_wall:.1f} s from the storm's start to "
        "the hub counting every device.",
        "",
        END,
    ]
    return "\n".join(lines)


async def run(total: int) -> tuple[Result, str]:
    hall_id = new_hall_id("fleet")
    fleet = make_fleet(total)
    with tempfile.TemporaryDirectory(prefix="hall-fleet.") as draft:
        logins = logins_for(Path(draft), fleet, hall_id)
        with private_servers(logins) as servers:
            hall = write_hall(servers.workdir, fleet, hall_id, servers)
            result = await measure(servers, hall, total)
    return result, time.strftime("%Y-%m-%d")


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fleet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", type=float, default=1.0, help="devices × this (smoke: 0.05)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    total = max(20, round(DEVICES * args.scale))
    started = time.monotonic()
    result, when = asyncio.run(run(total))
    section = render(result, when)
    print(section)
    print(f"({time.monotonic() - started:.0f} s)")
    if args.scale == 1.0 and not args.no_write:
        put_section(section, SECTION, END)
        print("wrote BENCHMARKS.md")
    return 0 if all(o.ready is not None for o in result.outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
