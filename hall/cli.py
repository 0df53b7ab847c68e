"""The `hall` command."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from dataclasses import replace
from pathlib import Path

from . import logs
from .config import ConfigError, HallConfig, load_config
from .speaker_synth import DEFAULT_RATE, DEFAULT_VOICE


def _default_demo_config() -> Path:
    local = Path("config/demo-hall.toml")
    if local.exists():
        return local
    return Path(__file__).resolve().parent.parent / "config" / "demo-hall.toml"


def _load(path: str | Path) -> HallConfig:
    try:
        return load_config(path)
    except FileNotFoundError:
        sys.exit(f"hall: no configuration file at {path}")
    except ConfigError as exc:
        sys.exit(f"hall: configuration error: {exc}")


def _run(args: argparse.Namespace) -> int:
    from .engine import HubFenced
    from .runtime import StartupError, serve

    config = _load(args.config)
    try:
        asyncio.run(serve(config, speaker=args.speaker))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except StartupError as exc:
        print(f"hall: cannot start: {exc}", file=sys.stderr)
        return 1
    except BaseExceptionGroup as group:
        fenced, rest = group.split(HubFenced)
        if fenced is None or rest is not None:
            raise
        print(f"hall: stopped: {fenced.exceptions[0]}", file=sys.stderr)
        return 3
    return 0


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _demo_ports(config: HallConfig) -> HallConfig:
    """The demo moves off ports that are taken (a broker or web server already running)."""
    broker, http = config.broker, config.http
    if broker.url is None and not _port_free(broker.host, broker.port):
        port = _free_port(broker.host)
        print(f"port {broker.port} is taken: the demo's embedded broker uses {port} instead")
        broker = replace(broker, port=port, listen=f"{broker.host}:{port}")
    if not _port_free(http.host, http.port):
        port = _free_port(http.host)
        print(f"port {http.port} is taken: the demo's web server uses {port} instead")
        http = replace(http, port=port, listen=f"{http.host}:{port}")
    return replace(config, broker=broker, http=http)


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo
    from .runtime import StartupError

    config = _demo_ports(_load(args.config or _default_demo_config()))
    try:
        asyncio.run(run_demo(config, duration_s=args.duration, rate=args.rate))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except StartupError as exc:
        print(f"hall: cannot start the demo: {exc}", file=sys.stderr)
        return 1
    return 0


def _speaker(args: argparse.Namespace) -> int:
    from .bus import Endpoint
    from .speaker import SpeakerError, SpeakerOptions, run_speaker
    from .speaker_synth import SpeechSynthError

    config = _load(args.config)
    broker = config.broker
    endpoint = Endpoint(broker.host, broker.port, broker.tls, broker.username, broker.password)
    options = SpeakerOptions(
        out_dir=args.out,
        cache_dir=args.cache,
        repeat=args.repeat,
        chime=not args.no_chime,
        voice=args.voice,
        rate=args.rate,
    )
    try:
        asyncio.run(run_speaker(endpoint, config, args.device, options))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except (SpeakerError, SpeechSynthError, ValueError) as exc:
        print(f"hall: cannot start the speaker: {exc}", file=sys.stderr)
        return 1
    return 0


def _gateway(args: argparse.Namespace) -> int:
    from devices.gateway import serve_gateway
    from devices.gateway_config import load_gateway_config
    from displays.bitmap import FontError

    try:
        config = load_gateway_config(args.config)
    except ConfigError as exc:
        sys.exit(f"hall: gateway configuration error: {exc}")
    if args.check:
        ports = ", ".join(f"{e.spec.port} ({e.spec.protocol})" for e in config.serial)
        print(f"{args.config}: hall {config.hall}: {ports} — OK")
        return 0
    try:
        asyncio.run(serve_gateway(config))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except (OSError, FontError) as exc:
        print(f"hall: cannot start the gateway: {exc}", file=sys.stderr)
        return 1
    return 0


def _check(args: argparse.Namespace) -> int:
    config = _load(args.config)
    print(
        f"{args.config}: hall {config.hall.id} ({config.hall.name}): "
        f"{len(config.services)} services, {len(config.windows)} windows, "
        f"{len(config.devices)} devices — OK"
    )
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from portal_link.admin import run_outbox_command

    config = _load(args.config)
    return run_outbox_command(config, args.action, key=args.key, as_json=args.json)


def _hash_password(args: argparse.Namespace) -> int:
    import getpass

    from .sessions import hash_password

    if args.stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("hall: the two passwords differ", file=sys.stderr)
            return 1
    if not password:
        print("hall: an empty password is not allowed", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _watch(args: argparse.Namespace) -> int:
    from .watch import run_watch

    return run_watch(args.url, args.token, args.user, args.password)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall", description="Smart service hall hub")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object per line")
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the hub for the hall a configuration describes")
    run.add_argument("--config", required=True, help="the hall's TOML file")
    run.add_argument(
        "--speaker",
        metavar="DEVICE",
        help="also run this speaker device in the hub's process (a one-box hall)",
    )
    run.set_defaults(func=_run)

    check = commands.add_parser("check-config", help="validate a hall's TOML file")
    check.add_argument("config")
    check.set_defaults(func=_check)

    demo = commands.add_parser(
        "demo", help="run a demo hall on the embedded broker and Redis, with simulated traffic"
    )
    demo.add_argument("--config", help="default: config/demo-hall.toml")
    demo.add_argument(
        "--duration",
        type=float,
        default=0,
        help="stop after this many seconds (default: run until Ctrl-C)",
    )
    demo.add_argument(
        "--rate", type=float, default=1.0, help="simulated arrivals per second (default 1)"
    )
    demo.set_defaults(func=_demo)

    speaker = commands.add_parser(
        "speaker", help="speak the hall's announcements (a speaker device on the broker)"
    )
    speaker.add_argument("--config", required=True, help="the hall's TOML file")
    speaker.add_argument("--device", required=True, help='a device of kind "speaker"')
    speaker.add_argument(
        "--out", type=Path, help="write each announcement as a WAV here instead of playing it"
    )
    speaker.add_argument(
        "--cache", type=Path, help="phrase cache (default: var/speech by the config)"
    )
    speaker.add_argument(
        "--repeat", type=int, default=2, help="times each call is said (default 2)"
    )
    speaker.add_argument("--no-chime", action="store_true", help="no ding-dong before a call")
    speaker.add_argument(
        "--voice", default=DEFAULT_VOICE, help=f"espeak-ng voice ({DEFAULT_VOICE})"
    )
    speaker.add_argument(
        "--rate", type=int, default=DEFAULT_RATE, help=f"words per minute ({DEFAULT_RATE})"
    )
    speaker.set_defaults(func=_speaker)

    gateway = commands.add_parser(
        "gateway", help="run the serial devices wired to this host (LED cards, keypads, ...)"
    )
    gateway.add_argument("--config", required=True, help="the gateway's TOML file")
    gateway.add_argument("--check", action="store_true", help="validate the file and stop")
    gateway.set_defaults(func=_gateway)

    outbox = commands.add_parser(
        "outbox", help="cases and ratings waiting for the back office: status, dead, retry"
    )
    outbox.add_argument(
        "action",
        choices=("status", "dead", "retry"),
        help="status: backlog and oldest age; dead: the dead letters; retry: send them again",
    )
    outbox.add_argument("--config", required=True, help="the hall's TOML file")
    outbox.add_argument("--key", help="dead, retry: only the entries of this case id")
    outbox.add_argument("--json", action="store_true", help="print JSON")
    outbox.set_defaults(func=_outbox)

    hashpw = commands.add_parser(
        "hash-password",
        help="make an argon2id hash for [[users]] password_hash (asks for the password)",
    )
    hashpw.add_argument(
        "--stdin", action="store_true", help="read the password from the first line of stdin"
    )
    hashpw.set_defaults(func=_hash_password)

    watch = commands.add_parser(
        "watch", help="print the hall's events live, one line each (a terminal view)"
    )
    watch.add_argument("--url", required=True, help="the hub's web address, http://host:port")
    who = watch.add_mutually_exclusive_group(required=True)
    who.add_argument("--token", help="an [[api_clients]] token (sent as a bearer token)")
    who.add_argument("--user", help="a dashboard user ([[users]] name)")
    watch.add_argument(
        "--password", help="the user's password (default: $HALL_PASSWORD, else asked)"
    )
    watch.set_defaults(func=_watch)

    args = parser.parse_args(argv)
    logs.setup(json_lines=args.log_json, level=args.log_level.upper())
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
