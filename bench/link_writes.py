"""What writing paho's waiting packets together (`hall.contract.link.merged_writes`), and at
the event loop's turn (`prompt_writes`), saves.

One process, one private Mosquitto: an `MqttLink` publishes seven QoS 1 messages of 160 bytes
per "call" (what a `call.next` sends) at 500 calls a second, 2,500 calls, and the process's
CPU time per call is measured in three ways, in alternating rounds (the machine's speed
drifts between runs: alternating makes every way see the same drift): paho writing each
packet alone once aiomqtt's watch of the socket says it can; the packets written together,
so watched; and written together at the loop's turn, unwatched (the hub's way).

    python -m bench.link_writes [--rounds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from hall.contract.link import Endpoint, MqttLink

from .infra import private_servers

RATE = 500.0
CALLS = 2_500
MESSAGES_PER_CALL = 7
PAYLOAD = b'{"x":"' + b"y" * 150 + b'"}'


async def _ignore(_topic: str, _payload: bytes) -> None:
    return None


# The ways compared: (label, packets written together, written at the loop's turn).
WAYS = (
    ("each written alone, watched (paho and aiomqtt)", False, False),
    ("written together, watched", True, False),
    ("written together at the loop's turn (the hub)", True, True),
)


async def cpu_per_call(host: str, port: int, way: int, round_no: int) -> float:
    """Milliseconds of this process's CPU time per call, from the first publish until the
    broker has acknowledged every message."""
    _label, merge, promptly = WAYS[way]
    link = MqttLink(
        Endpoint(host, port),
        f"bench-writes-{round_no}-{way}",
        merge_writes=merge,
        write_promptly=promptly,
    )
    runner = asyncio.create_task(link.run(_ignore))
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        await asyncio.sleep(0.5)
        began, cpu_began = time.perf_counter(), time.process_time()
        for call in range(CALLS):
            for n in range(MESSAGES_PER_CALL):
                link.publish(f"bench/writes/{n}", PAYLOAD)
            await asyncio.sleep(max(0.0, began + (call + 1) / RATE - time.perf_counter()))
        for _ in range(3_000):  # 30 s at most
            if link.stats.published >= CALLS * MESSAGES_PER_CALL:
                break
            await asyncio.sleep(0.01)
        else:
            raise TimeoutError("the broker did not acknowledge every message within 30 s")
        return 1000 * (time.process_time() - cpu_began) / CALLS
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def measure(host: str, port: int, rounds: int) -> list[list[float]]:
    results: list[list[float]] = [[] for _ in WAYS]
    for round_no in range(rounds):
        for way in range(len(WAYS)):
            results[way].append(await cpu_per_call(host, port, way, round_no))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.link_writes", description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with private_servers() as servers:
        results = asyncio.run(measure(servers.host, servers.mqtt_port, args.rounds))
    print(f"{MESSAGES_PER_CALL} QoS 1 messages per call, {RATE:g} calls/s, {CALLS:,} calls")
    print("| packets | CPU ms per call, median | range | against the first |")
    print("|---|--:|--:|--:|")
    first = statistics.median(results[0])
    for (label, _merge, _promptly), values in zip(WAYS, results, strict=True):
        median = statistics.median(values)
        print(
            f"| {label} | {median:.3f} | {min(values):.3f}-{max(values):.3f} | "
            f"{100 * (median - first) / first:+.0f}% |"
        )


if __name__ == "__main__":
    main()
