"""The `hall` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from hall.cli import extras, logs
from hall.cli import plan as plan_command
from hall.cli import simulate as simulate_command
from hall.contract.config import ConfigError, load_config
from hall.contract.config_documents import documents_warnings
from hall.contract.config_endpoints import http_warnings
from hall.contract.ports import free_port, port_is_free
from hall.domain.config import HallConfig
from hall.voice.synth import DEFAULT_RATE, DEFAULT_VOICE


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
    from hall.contract.errors import Fenced
    from hall.hub.halls import hall_files, serve_halls
    from hall.hub.runtime import StartupError, serve
    from hall.web.app import make_app

    try:
        paths = hall_files(args.config)
    except FileNotFoundError as exc:
        sys.exit(f"hall: {exc}")
    if args.speaker and len(paths) > 1:
        sys.exit("hall: --speaker runs beside one hall: give one hall file with it")
    configs = [_load(path) for path in paths]
    for config in configs:
        extras.require("run", *extras.run_extras(config, args.speaker))
    try:
        if len(configs) == 1:
            # A one-box hall's speaker logs in as itself: on the embedded broker with a
            # password of this run, on another with HALL_DEVICE_PASSWORD.
            password = os.environ.get("HALL_DEVICE_PASSWORD") or None
            local = {args.speaker: password} if args.speaker else None
            asyncio.run(
                serve(configs[0], speaker=args.speaker, web_app=make_app, local_devices=local)
            )
        else:
            asyncio.run(serve_halls(configs, web_app=make_app))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except StartupError as exc:
        print(f"hall: cannot start: {exc}", file=sys.stderr)
        return 1
    except BaseExceptionGroup as group:
        fenced, rest = group.split(Fenced)
        if fenced is None or rest is not None:
            raise
        print(f"hall: stopped: {_first_leaf(fenced)}", file=sys.stderr)
        return 3
    return 0


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception itself in a group of groups (the hub's task groups nest): its
    message says what happened, where the group's says only how many there were."""
    first: BaseException = group
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first


def _demo_ports(config: HallConfig) -> HallConfig:
    """The demo moves off ports that are taken (a broker or web server already running)."""
    broker, http = config.broker, config.http
    if broker.url is None and not port_is_free(broker.host, broker.port):
        port = free_port(broker.host)
        print(f"port {broker.port} is taken: the demo's embedded broker uses {port} instead")
        broker = replace(broker, port=port, listen=f"{broker.host}:{port}")
    if not port_is_free(http.host, http.port):
        port = free_port(http.host)
        print(f"port {http.port} is taken: the demo's web server uses {port} instead")
        http = replace(http, port=port, listen=f"{http.host}:{port}")
    return replace(config, broker=broker, http=http)


def _demo(args: argparse.Namespace) -> int:
    from hall.cli.demo import run_demo
    from hall.hub.runtime import StartupError

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
    from hall.contract.device import device_endpoint
    from hall.contract.link import Endpoint
    from hall.voice.speaker import SpeakerError, SpeakerOptions, run_speaker
    from hall.voice.synth import SpeechSynthError

    config = _load(args.config)
    broker = config.broker
    # The speaker logs in as its own device, never with the hub's login of [broker] url.
    device_password = os.environ.get("HALL_DEVICE_PASSWORD") or None
    if broker.username is not None and device_password is None:
        print(
            f"hall: the broker takes logins: set HALL_DEVICE_PASSWORD to the broker password "
            f"of device {args.device} (the password of its password_hash in the hall file)",
            file=sys.stderr,
        )
        return 2
    broker_endpoint = Endpoint(broker.host, broker.port, broker.tls)
    endpoint = device_endpoint(broker_endpoint, args.device, device_password)
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
    if config.appointments.accept_plain_id is None:
        print(
            "note: [appointments] accept_plain_id is not set: kiosks may still send ID numbers "
            "in clear (id_no, deprecated). The default will become false; set it to false to "
            "accept only sealed ID numbers (id_sealed), or to true to keep the old way."
        )
    # A window pad's printer prints copies; every other printer prints tickets.
    copying = {d.printer for d in config.devices if d.kind == "window_pad" and d.printer}
    printers = sum(d.kind == "printer" and d.id not in copying for d in config.devices)
    warned = http_warnings(config.http, printers=printers, window_printers=len(copying))
    for warning in [*warned, *documents_warnings(config)]:
        print(f"{args.config}: warning: {warning}")
    from devices.font import bundled_font, load_font
    from hall.cli.strip_texts import undrawable_texts

    font = bundled_font() if args.font is None else load_font(args.font)
    for found in undrawable_texts(config, font, Path(args.config)):
        where = f"{args.config}:{found.line}" if found.line is not None else str(args.config)
        print(f"{where}: warning: {found.describe()}")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from hall.cli.outbox import run_outbox_command

    config = _load(args.config)
    return run_outbox_command(config, args.action, key=args.key, as_json=args.json)


def _acl(args: argparse.Namespace) -> int:
    from hall.cli.acl import run_acl_command

    return run_acl_command(_load(args.config), Path(args.out))


def _hash_password(args: argparse.Namespace) -> int:
    import getpass

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
    if args.pin and not (password.isascii() and password.isdigit() and len(password) >= 4):
        print("hall: a PIN is at least 4 digits", file=sys.stderr)
        return 1
    if args.broker:
        from hall.contract.access import mosquitto_hash

        print(mosquitto_hash(password))
        return 0
    from hall.web.sessions import hash_password

    print(hash_password(password))
    return 0


def _watch(args: argparse.Namespace) -> int:
    from hall.cli.watch import run_watch

    return run_watch(args.url, args.token, args.user, args.password)


def _simulate(args: argparse.Namespace) -> int:
    return _to_a_pipe(simulate_command.run, args)


def _plan(args: argparse.Namespace) -> int:
    return _to_a_pipe(plan_command.run, args)


def _to_a_pipe(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command that prints, ending quietly when its reader stops reading (`| head`), as
    a shell tool ends on SIGPIPE (exit code 141), not with a traceback."""
    try:
        code = command(args)
        sys.stdout.flush()  # here, where a failure to write can be said, not at exit
        return code
    except BrokenPipeError:
        # Python would write to the closed pipe again at exit: point it at nothing instead.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as exc:
        if exc.filename is not None:  # a file of the command's own: not standard output
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"hall: cannot write to standard output: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _command(
    commands: Any, func: Callable[[argparse.Namespace], int], name: str, help: str, config: str = ""
) -> argparse.ArgumentParser:
    """A subcommand running `func`; with `config`, its required --config and that help."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help)
    if config:
        parser.add_argument("--config", required=True, help=config)
    parser.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall", description="Smart service hall hub")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object per line")
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command", required=True)

    run = _command(commands, _run, "run", help="run the hub for the hall a configuration describes")
    run.add_argument(
        "--config",
        required=True,
        action="append",
        help="the hall's TOML file; repeat it, or name a folder of them, to serve several "
        "halls in one process (each on its own [http] listen)",
    )
    run.add_argument(
        "--speaker",
        metavar="DEVICE",
        help="also run this speaker device in the hub's process (a one-box hall)",
    )

    check = _command(commands, _check, "check-config", help="validate a hall's TOML file")
    check.add_argument("config")
    check.add_argument(
        "--font",
        default=None,
        help="the LED font to check names against (.hex or .hex.gz; default: the bundled one)",
    )

    demo = _command(
        commands,
        _demo,
        "demo",
        help="run a demo hall on the embedded broker and Redis, with simulated traffic",
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

    speaker = _command(
        commands,
        _speaker,
        "speaker",
        help="speak the hall's announcements (a speaker device on the broker)",
        config="the hall's TOML file",
    )
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

    gateway = _command(
        commands,
        _gateway,
        "gateway",
        help="run the serial devices wired to this host (LED cards, keypads, ...)",
        config="the gateway's TOML file",
    )
    gateway.add_argument("--check", action="store_true", help="validate the file and stop")

    outbox = _command(
        commands,
        _outbox,
        "outbox",
        help="cases and ratings waiting for the back office: status, dead, retry",
        config="the hall's TOML file",
    )
    outbox.add_argument(
        "action",
        choices=("status", "dead", "retry"),
        help="status: backlog and oldest age; dead: the dead letters; retry: send them again",
    )
    outbox.add_argument("--key", help="dead, retry: only the entries of this case id")
    outbox.add_argument("--json", action="store_true", help="print JSON")

    hashpw = _command(
        commands,
        _hash_password,
        "hash-password",
        help="make an argon2id hash for [[users]] password_hash (asks for the password)",
    )
    hashpw.add_argument(
        "--stdin", action="store_true", help="read the password from the first line of stdin"
    )
    hashpw.add_argument(
        "--broker",
        action="store_true",
        help="a broker password hash ($7$, as mosquitto_passwd) for password_hash of "
        "[[devices]] and [[broker.accounts]]",
    )
    hashpw.add_argument(
        "--pin",
        action="store_true",
        help="a clerk's PIN (at least 4 digits) for [[users]] pin_hash",
    )

    acl = _command(
        commands,
        _acl,
        "acl",
        help="write the broker's password and access-list files from the hall file",
        config="the hall's TOML file",
    )
    acl.add_argument("--out", default=".", help="folder to write hall.passwd and hall.acl in")

    simulate = _command(
        commands,
        _simulate,
        "simulate",
        help="simulate a hall day at full speed; write its report and charts",
    )
    simulate_command.add_command(simulate)

    plan = _command(
        commands,
        _plan,
        "plan",
        help="advise how many windows to open per half hour, checked by simulating the day",
    )
    plan_command.add_command(plan)

    watch = _command(
        commands,
        _watch,
        "watch",
        help="print the hall's events live, one line each (a terminal view)",
    )
    watch.add_argument("--url", required=True, help="the hub's web address, http://host:port")
    who = watch.add_mutually_exclusive_group(required=True)
    who.add_argument("--token", help="an [[api_clients]] token (sent as a bearer token)")
    who.add_argument("--user", help="a dashboard user ([[users]] name)")
    watch.add_argument(
        "--password", help="the user's password (default: $HALL_PASSWORD, else asked)"
    )

    args = parser.parse_args(argv)
    logs.setup(json_lines=args.log_json, level=args.log_level.upper())
    try:
        extras.require(args.command, *extras.COMMAND_EXTRAS.get(args.command, ()))
        return int(args.func(args))
    except extras.MissingExtra as exc:
        print(exc, file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a module of an extra that the checks above missed
        extra = extras.extra_of(exc.name)
        if extra is None:
            raise
        print(
            f"hall {args.command}: needs {exc.name}: pip install 'hall-hub[{extra}]'",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
