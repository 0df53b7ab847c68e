"""The hall's configuration as typed, frozen values: what the hall file says, once checked.

Pure values; the loader that reads and checks the TOML file is `hall.contract.config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

DEVICE_KINDS = (
    "kiosk",
    "window_pad",
    "caller",
    "evaluator",
    "led_window",
    "led_board",
    "screen",
    "printer",
    "speaker",
)
# Kinds that are bound to exactly one window.
WINDOW_BOUND_KINDS = ("window_pad", "caller", "evaluator", "led_window")
# Devices that may name a printer: a kiosk's prints its tickets, a window pad's the copies of
# the documents captured at its window.
PRINTING_KINDS = ("kiosk", "window_pad")


@dataclass(frozen=True)
class HallInfo:
    id: str
    name: str
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class BrokerConfig:
    url: str | None = None  # None: run the embedded broker
    listen: str = "127.0.0.1:1883"  # where the embedded broker listens
    host: str = "127.0.0.1"  # parsed from url, or from listen when embedded
    port: int = 1883
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # Further broker accounts: other hub processes, integrations (`[[broker.accounts]]`).
    accounts: tuple[BrokerAccount, ...] = ()


BROKER_ROLES = ("hub", "integration")


@dataclass(frozen=True)
class BrokerAccount:
    """A broker login that is not a device: another hub process, or an integration that reads
    the hall's events. The password is kept only as Mosquitto's `$7$` hash."""

    name: str
    role: str  # hub | integration
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `burst` requests at once, then `per_s` a second."""

    per_s: float
    burst: int


# Requests a device of each kind may send: a kiosk serves one person at a time; a pad or a
# caller is pressed by staff, who may click quickly.
DEFAULT_RATE_LIMITS: tuple[tuple[str, RateLimit], ...] = (
    ("kiosk", RateLimit(per_s=1.0, burst=10)),
    ("window_pad", RateLimit(per_s=5.0, burst=20)),
    ("caller", RateLimit(per_s=5.0, burst=20)),
    ("evaluator", RateLimit(per_s=5.0, burst=20)),
)
OTHER_KINDS_RATE_LIMIT = RateLimit(per_s=2.0, burst=10)


@dataclass(frozen=True)
class StoreConfig:
    url: str | None = None  # None: run the embedded Redis
    path: Path = Path("var")  # embedded Redis data folder (relative paths: beside the config)
    # A commit is acknowledged only once this many replicas hold it (Redis WAIT): with every
    # replica of a Sentinel-watched master, no failover can lose an acknowledged ticket.
    wait_replicas: int = 0


@dataclass(frozen=True)
class HttpConfig:
    listen: str = "127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    # The address citizens' phones and staff browsers reach (https://hall.example.gov.cn):
    # the only origin, besides the address a connection reached, that pages may come from.
    public_url: str | None = None
    behind_tls: bool = False  # a TLS-terminating proxy in front: cookies are Secure
    max_connections: int = 4096  # open HTTP connections at once (lowered to the file limit)
    header_timeout_s: float = 10.0  # from connect until a request's headers are in
    idle_timeout_s: float = 15.0  # an idle keep-alive connection is closed after this
    body_timeout_s: float = 30.0  # a request's whole body must be in within this
    api_rate_per_s: float = 50.0  # /api/* requests per second, per address and per client
    api_burst: int = 100  # requests above the rate taken at once before 429

    @property
    def public_origin(self) -> str | None:
        """``scheme://host[:port]`` of `public_url` (what a browser sends as Origin)."""
        if self.public_url is None:
            return None
        scheme, _, rest = self.public_url.partition("://")
        scheme, host = scheme.lower(), rest.split("/", 1)[0].lower()
        default_port = ":443" if scheme == "https" else ":80"
        return f"{scheme}://{host.removesuffix(default_port)}"

    @property
    def secure_cookies(self) -> bool:
        """Browsers reach the hub over TLS: cookies go only over TLS."""
        return self.behind_tls or (self.public_url or "").lower().startswith("https://")


@dataclass(frozen=True)
class HubConfig:
    """Who is the active hub when several run for one hall: a lease in the store."""

    instance: str | None = None  # this process's name; None: "<host name>-<HTTP port>"
    lease_s: float = 1.5  # a standby takes over this long after the active one last renewed
    renew_s: float = 0.3  # the active renews this often (at most a third of lease_s)


@dataclass(frozen=True)
class PortalConfig:
    url: str
    secret: str = field(repr=False)  # "whsec_" + base64


@dataclass(frozen=True)
class QueueRules:
    recall_cap: int = 3
    default_service_s: int = 300  # service time assumed before any has been measured
    # Where a requeued no-show goes back into its service's queue: "front", "back", or after
    # this many of those waiting in its class (过号顺延).
    requeue_position: int | str = 3


@dataclass(frozen=True)
class UserConfig:
    """A member of staff: signs in to the dashboard, or at a window with a staff number."""

    name: str
    password_hash: str = field(repr=False)  # argon2id, as printed by `hall hash-password`
    role: str = "manager"  # one of roles.ROLES (an older file's "viewer" is an auditor)
    staff: str | None = None  # the staff number a clerk signs in with at a window
    pin_hash: str | None = field(default=None, repr=False)  # `hall hash-password --pin`
    card_hash: str | None = field(default=None, repr=False)  # SHA-256 hex of the card's id
    disabled: bool = False  # may not sign in anywhere


@dataclass(frozen=True)
class StaffRules:
    """How clerks sign in at the windows (`[staff]`)."""

    require_pin: bool = False  # every window.open needs a known staff number and its PIN


@dataclass(frozen=True)
class SupervisionRules:
    """E-supervision (电子监察) alarm thresholds; no national numbers exist, so all are here."""

    waiting_yellow: int = 50  # people waiting for one service
    waiting_orange: int = 80
    waiting_red: int = 120
    wait_target_s: int = 1800  # a ticket waiting longer raises an alarm; also the KPI target
    service_limit_s: int = 1800  # a visit at a window longer than this
    pause_limit_s: int = 900  # a window paused longer than this
    device_offline_s: int = 60  # a device offline longer than this


@dataclass(frozen=True)
class ScreenConfig:
    notice: str = ""  # the notice ticker's text at start
    speak: bool = False  # the /screen page also speaks calls with the browser's voice
    # Each call stays in the screen's big box at least this long; calls that come sooner wait
    # their turn, so none flashes by unread.
    min_call_display_s: float = 5.0
    phone_alert_ahead: int = 3  # the phone's ticket page alerts when this many are left ahead


@dataclass(frozen=True)
class RatingRules:
    unrated_after_s: int = 1800  # a served visit not rated by then is reported unrated


@dataclass(frozen=True)
class AppointmentRules:
    # HMAC-SHA256 key shared with the portal: both hash ID numbers with it, so an ID card read
    # at the kiosk finds the citizen's appointment without the number ever being stored.
    id_hash_key: str | None = field(default=None, repr=False)
    early_s: int = 1800  # check-in opens this long before the slot
    # Whether a kiosk may still send the ID number in clear (`id_no`, deprecated); false
    # accepts only `id_sealed`. None: the hall file does not say, and it is accepted for now
    # (the default will become false).
    accept_plain_id: bool | None = None

    @property
    def plain_id_accepted(self) -> bool:
        return self.accept_plain_id is not False


@dataclass(frozen=True)
class ApiClient:
    """A back-office client of the HTTP API: a bearer token, a webhook secret, or both."""

    id: str
    token: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)  # "whsec_..." Standard Webhooks


MAX_DESCRIPTION_CHARS = 80  # a service's description: one or two lines on a kiosk's card
# A kiosk left untouched this long goes back to its menu with every choice undone, so the
# next citizen never inherits the last one's green channel or half-typed code.
DEFAULT_IDLE_S = 60
MIN_IDLE_S, MAX_IDLE_S = 10, 600


@dataclass(frozen=True)
class ServiceConfig:
    code: str  # one capital letter: the ticket prefix
    name: str
    daily_cap: int | None = None
    description: str | None = None  # one line under the name on the kiosk's card
    # What a citizen must bring, shown at the kiosk before a ticket is taken: the first
    # catalogue's list (the hall settings page may change it live).
    documents: tuple[str, ...] = ()
    # The longest a ticket of this service should wait (minutes): a window shared with other
    # services calls its head ticket before theirs as it nears this, within the ticket's class.
    max_wait_min: int | None = None
    # How pages in English name and describe the service; None: the Chinese `name`/`description`.
    name_en: str | None = None
    description_en: str | None = None


@dataclass(frozen=True)
class WindowConfig:
    id: str
    services: tuple[str, ...]  # in this window's order of preference
    name: str | None = None  # how the window is spoken and shown; default "<id>号窗口"


@dataclass(frozen=True)
class DeviceConfig:
    id: str
    kind: str
    window: str | None = None  # window-bound kinds only
    printer: str | None = None  # kiosks (tickets) and window pads (copies of documents)
    # Kiosks only: its ID numbers come from a card reader bound to it (the gateway's
    # `idcard` driver); only then does an ID number check in an appointment.
    id_reader: bool = False
    # Window pads only: a staff card reader is bound to it, so a clerk may sign in by card.
    card_reader: bool = False
    # Kiosks only: seconds without a touch before the kiosk page resets to its menu.
    idle_s: int = DEFAULT_IDLE_S
    # A browser page acting as this device (/kiosk/<id>, /pad/<id>) must present this token.
    token: str | None = field(default=None, repr=False)
    # Its broker login (user name = device id = client id), as Mosquitto's `$7$` hash.
    password_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class HistoryConfig:
    """Where finished days are kept for reports (`hall.history`), and for how long."""

    enabled: bool = True
    url: str | None = None  # "postgresql://...": a shared database; None: the SQLite file
    path: Path = Path("var/history.sqlite3")  # the SQLite file (default: beside the store)
    retention_days: int = 400
    # The service level counts the tickets called within this many seconds of being issued;
    # None: the supervision's wait target. `service_targets` overrides it per service code.
    service_level_target_s: int | None = None
    service_targets: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class S3Config:
    """An S3-compatible object store for the encrypted pages (`[documents.s3]`)."""

    url: str  # "https://s3.example.gov.cn": path-style requests go to <url>/<bucket>/<name>
    bucket: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    region: str = "us-east-1"


@dataclass(frozen=True)
class DocumentsConfig:
    """Pages captured at the windows (`[documents]`): where they are kept, encrypted."""

    key: bytes = field(repr=False)  # 32 bytes: encrypts the files, signs the back office's links
    path: Path = Path("var/documents")  # the folder of the encrypted files
    max_bytes: int = 10 * 1024 * 1024  # one page
    max_pages: int = 30  # one visit
    kinds: tuple[str, ...] = ("jpeg", "png", "pdf")
    retention_s: int = 7 * 86400  # a page not yet confirmed by the back office is deleted then
    link_ttl_s: int = 86400  # how long a link in a case may be fetched
    copy_ttl_s: int = 300  # how long a window printer's link to a copy may be fetched
    s3: S3Config | None = None  # None: the encrypted files are kept in `path`


@dataclass(frozen=True)
class HallConfig:
    hall: HallInfo
    services: tuple[ServiceConfig, ...]
    windows: tuple[WindowConfig, ...]
    devices: tuple[DeviceConfig, ...]
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    hub: HubConfig = field(default_factory=HubConfig)
    portal: PortalConfig | None = None
    queue: QueueRules = field(default_factory=QueueRules)
    appointments: AppointmentRules = field(default_factory=AppointmentRules)
    ratings: RatingRules = field(default_factory=RatingRules)
    supervision: SupervisionRules = field(default_factory=SupervisionRules)
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    users: tuple[UserConfig, ...] = ()
    staff: StaffRules = field(default_factory=StaffRules)
    api_clients: tuple[ApiClient, ...] = ()
    # Per device kind (`[rate_limits]`); kinds not listed: OTHER_KINDS_RATE_LIMIT.
    rate_limits: tuple[tuple[str, RateLimit], ...] = DEFAULT_RATE_LIMITS
    documents: DocumentsConfig | None = None  # None: no pages are captured
    source: Path | None = None  # the file it was loaded from

    def service(self, code: str) -> ServiceConfig | None:
        return self._services_by_code.get(code)

    def window(self, window_id: str) -> WindowConfig | None:
        return self._windows_by_id.get(window_id)

    def device(self, device_id: str) -> DeviceConfig | None:
        return self._devices_by_id.get(device_id)

    def rate_limit(self, kind: str) -> RateLimit:
        return self._rate_limits_by_kind.get(kind, OTHER_KINDS_RATE_LIMIT)

    # Indexes for the lookups above, made on first use (every request looks its device up, and
    # a hall may have thousands). The values are frozen, so an index never goes stale: a
    # changed hall is a new HallConfig. Built from the end so that the first of a repeated id
    # wins, as a search from the start would find it.
    @cached_property
    def _services_by_code(self) -> dict[str, ServiceConfig]:
        return {s.code: s for s in reversed(self.services)}

    @cached_property
    def _windows_by_id(self) -> dict[str, WindowConfig]:
        return {w.id: w for w in reversed(self.windows)}

    @cached_property
    def _devices_by_id(self) -> dict[str, DeviceConfig]:
        return {d.id: d for d in reversed(self.devices)}

    @cached_property
    def _rate_limits_by_kind(self) -> dict[str, RateLimit]:
        return dict(self.rate_limits)

    @property
    def broker_credentials(self) -> bool:
        """True when the hall file gives broker logins: the broker then refuses anonymous
        clients and holds each account to its own topics."""
        return bool(self.broker.accounts) or any(d.password_hash for d in self.devices)
