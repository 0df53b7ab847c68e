"""Running the hall live: one operation, `catalogue.change`, changes the catalogue's services,
a window's services, a device's binding or the screens' notice.

Every change is checked here (a `bad_request` names the argument), makes the next version of
the one live catalogue, and carries an audit entry (who, what, when, before and after) that
the store keeps in the same atomic commit. Pure: values in, an `Outcome` out.

A ticket's prefix is its service's code (the contract's "one capital letter: the ticket
prefix"), and the code names the service in every queue, counter and record: it does not
change. A hall that wants another prefix adds a service under the new letter and closes the
old one; numbers issued today keep theirs either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from . import args as A
from .actor import MANAGER, Actor
from .catalogue import Catalogue, DeviceSetting, ServiceEntry
from .config import WINDOW_BOUND_KINDS, HallConfig
from .errors import DomainError
from .events import CatalogueChanged, DomainEvent, HallSettingsChanged
from .model import rfc3339
from .state import HallState, Outcome

__all__ = [
    "ACTIONS",
    "DEVICE_ACTIONS",
    "MAX_DOCUMENTS",
    "MAX_NOTICE_CHARS",
    "SERVICE_ACTIONS",
    "change",
    "device_view",
    "service_view",
]

SERVICE_ACTIONS = (
    "add",
    "rename",
    "close",
    "reopen",
    "set_cap",
    "set_hours",
    "set_documents",
)
DEVICE_ACTIONS = ("device_enable", "device_disable", "device_window", "device_rename")
ACTIONS = (*SERVICE_ACTIONS, "set_window", *DEVICE_ACTIONS, "set_notice")
MAX_DOCUMENTS = 20
MAX_DOCUMENT_CHARS = 60
MAX_NOTICE_CHARS = 200
MAX_NAME_CHARS = 40
CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def service_view(entry: ServiceEntry) -> dict[str, Any]:
    view = asdict(entry)
    view["hours"] = list(entry.hours) if entry.hours else None
    view["documents"] = list(entry.documents)
    return view


def device_view(config: HallConfig, catalogue: Catalogue, device_id: str) -> dict[str, Any]:
    """A device of the hall file as the hall runs it now."""
    device = config.device(device_id)
    assert device is not None
    setting = catalogue.device_setting(device_id)
    return {
        "id": device.id,
        "kind": device.kind,
        "window": catalogue.bound(device).window,
        "name": setting.name,
        "enabled": setting.enabled,
    }


# ----- the changes: each returns the next catalogue, the subject, its views before and after --
Change = tuple[Catalogue, str, Any, Any]


def _code(args: Mapping[str, Any]) -> str:
    code = A.required_str(args, "code", 1)
    if not ("A" <= code <= "Z" and len(code) == 1):
        raise DomainError("bad_request", f"args.code must be one capital letter, got {code!r}")
    return code


def _hours(args: Mapping[str, Any]) -> tuple[str, str] | None:
    value = args.get("hours")
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise DomainError(
            "bad_request", 'args.hours must be ["HH:MM", "HH:MM"] (or null for all day)'
        )
    start, end = value[0].strip(), value[1].strip()
    for clock in (start, end):
        if not CLOCK.fullmatch(clock):
            raise DomainError("bad_request", f"args.hours: {clock!r} is not a time like 08:30")
    if start >= end:
        raise DomainError("bad_request", "args.hours: the opening must be before the closing")
    return start, end


def _documents(args: Mapping[str, Any]) -> tuple[str, ...]:
    value = args.get("documents")
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise DomainError("bad_request", "args.documents must be a list of strings")
    documents = tuple(A.plain_text(d.strip(), "documents") for d in value if d.strip())
    if len(documents) > MAX_DOCUMENTS:
        raise DomainError("bad_request", f"args.documents: at most {MAX_DOCUMENTS} documents")
    if any(len(d) > MAX_DOCUMENT_CHARS for d in documents):
        raise DomainError(
            "bad_request", f"args.documents: each at most {MAX_DOCUMENT_CHARS} characters"
        )
    return documents


def _service_change(catalogue: Catalogue, action: str, args: Mapping[str, Any]) -> Change:
    code = _code(args)
    before = catalogue.service(code)
    if action in ("set_hours", "set_documents"):
        if before is None:
            raise DomainError("unknown_service", f"no service {code!r} in this hall")
        if action == "set_hours":
            if "hours" not in args:
                raise DomainError("bad_request", "set_hours needs args.hours (null: all day)")
            entry = replace(before, hours=_hours(args))
        else:
            entry = replace(before, documents=_documents(args))
        services = tuple(entry if s.code == code else s for s in catalogue.services)
        after = replace(catalogue, services=services, version=catalogue.version + 1)
    else:
        name = A.optional_str(args, "name", MAX_NAME_CHARS)
        if name is not None:
            A.plain_text(name, "name")
        cap_value = args.get("daily_cap")
        daily_cap = None if cap_value is None else A.required_int(args, "daily_cap", 1, 999)
        windows = args.get("windows", [])
        if not isinstance(windows, list) or not all(isinstance(w, str) for w in windows):
            raise DomainError("bad_request", "args.windows must be a list of window ids")
        if action == "set_cap" and "daily_cap" not in args:
            raise DomainError("bad_request", "set_cap needs args.daily_cap (null removes the cap)")
        after = catalogue.changed(
            action,
            code,
            name=name,
            daily_cap=daily_cap,
            clear_cap=cap_value is None,
            windows=tuple(windows),
        )
    entry_after = after.service(code)
    assert entry_after is not None
    before_view = service_view(before) if before is not None else None
    return after, code, before_view, service_view(entry_after)


def _window_change(catalogue: Catalogue, args: Mapping[str, Any]) -> Change:
    window = A.required_str(args, "window", 16)
    if window not in catalogue.window_services:
        raise DomainError("not_found", f"no window {window!r} in this hall")
    services = args.get("services")
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise DomainError("bad_request", "args.services must be a list of service codes")
    if not services:
        raise DomainError("bad_request", "args.services: a window serves at least one service")
    if len(set(services)) != len(services):
        raise DomainError("bad_request", "args.services: each service at most once")
    unknown = [s for s in services if catalogue.service(s) is None]
    if unknown:
        raise DomainError("unknown_service", f"args.services: no service {', '.join(unknown)}")
    before = list(catalogue.window_services[window])
    window_services = {**catalogue.window_services, window: tuple(services)}
    after = replace(catalogue, window_services=window_services, version=catalogue.version + 1)
    return after, window, {"services": before}, {"services": list(services)}


def _device_change(
    catalogue: Catalogue, config: HallConfig, action: str, args: Mapping[str, Any]
) -> Change:
    device_id = A.required_str(args, "device", 32)
    device = config.device(device_id)
    if device is None:
        raise DomainError("unknown_device", f"no device {device_id!r} in this hall")
    setting = catalogue.device_setting(device_id)
    if action in ("device_enable", "device_disable"):
        changed = replace(setting, enabled=action == "device_enable")
    elif action == "device_rename":
        name = A.optional_str(args, "name", MAX_NAME_CHARS)
        changed = replace(setting, name=A.plain_text(name, "name") if name else name)
    else:
        if device.kind not in WINDOW_BOUND_KINDS:
            raise DomainError(
                "bad_request", f"a {device.kind} is bound to no window: args.device {device_id}"
            )
        window = A.required_str(args, "window", 16)
        if window not in catalogue.window_services:
            raise DomainError("not_found", f"args.window: no window {window!r} in this hall")
        if device.printer is not None and window != device.window:
            raise DomainError(
                "bad_request",
                f"{device_id} has its own printer {device.printer}, which prints only for "
                f"window {device.window}: to move it to window {window}, change its window "
                "and printer in the hall file",
            )
        changed = replace(setting, window=None if window == device.window else window)
    devices = {**catalogue.devices, device_id: changed}
    if changed == DeviceSetting():
        del devices[device_id]  # back to the hall file's
    after = replace(catalogue, devices=devices, version=catalogue.version + 1)
    before_view = device_view(config, catalogue, device_id)
    return after, device_id, before_view, device_view(config, after, device_id)


def _notice_change(catalogue: Catalogue, config: HallConfig, args: Mapping[str, Any]) -> Change:
    text = args.get("text")
    if not isinstance(text, str) or len(text.strip()) > MAX_NOTICE_CHARS:
        raise DomainError("bad_request", f"args.text must be at most {MAX_NOTICE_CHARS} characters")
    before = config.screen.notice if catalogue.notice is None else catalogue.notice
    after = replace(catalogue, notice=text.strip(), version=catalogue.version + 1)
    return after, "screen", {"notice": before}, {"notice": text.strip()}


def _decide(state: HallState, action: str, args: Mapping[str, Any]) -> Change:
    assert state.catalogue is not None
    catalogue = state.catalogue
    if action in SERVICE_ACTIONS:
        return _service_change(catalogue, action, args)
    if action == "set_window":
        return _window_change(catalogue, args)
    if action in DEVICE_ACTIONS:
        return _device_change(catalogue, state.config, action, args)
    return _notice_change(catalogue, state.config, args)


def _who(actor: Actor) -> str:
    """The dashboard user's name, or the back-office client's actor id."""
    return actor.id.removeprefix("dashboard-") if actor.kind == MANAGER else actor.id


def change(state: HallState, actor: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    """`catalogue.change`: one change of the hall's live settings, with its audit entry."""
    action = A.optional_choice(args, "action", ACTIONS, "")
    if not action:
        raise DomainError("bad_request", "args.action is required")
    assert state.catalogue is not None
    after, subject, before_view, after_view = _decide(state, action, args)
    audit = {
        "version": after.version,
        "at": rfc3339(now, state.tz),
        "by": _who(actor),
        "what": action,
        "subject": subject,
        "before": before_view,
        "after": after_view,
    }
    event: DomainEvent
    if action in SERVICE_ACTIONS:
        result = {"service": {**after_view, "version": after.version}}
        event = CatalogueChanged(now, action, result["service"], actor.id)
    else:
        result = {"changed": {"subject": subject, **after_view, "version": after.version}}
        event = HallSettingsChanged(now, action, subject, after_view, actor.id)
    return Outcome(
        result=result,
        catalogue=(state.catalogue, after),
        events=(event,),
        audit=audit,
    )
