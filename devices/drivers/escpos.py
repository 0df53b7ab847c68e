"""ESC/POS ticket printers on a serial line (or a USB printer's serial interface).

Each `cmd` `{"job": "print", "ticket": {...}, "hall_name", "service_name", "qr_url"}` of the
bound printer device is printed as a real ESC/POS ticket (`escpos.render_ticket`). After each
job, and every `status_interval_s`, the printer is asked for its status (DLE EOT 1 and 4) and
the device's retained status carries it: `{"state": "online", "online": true|false,
"paper": "ok"|"near_end"|"out"}` (`online` false also while the port is closed or the printer
does not answer). A job that comes while the port is closed waits, for `job_max_age_s`.

A window's printer also takes `{"job": "print_copy", "url", "sha256", "width", "height"}`: a
copy of a page captured at the window, drawn by the window pad at the printer's width. The
raster is fetched from the hub over HTTP by the signed, once-only link (`devices.drivers.copies`:
timeout, size cap, hash), printed as GS v 0 images in the model's bands, and cut. The
status also carries `dots`, the printer's width, which the pad draws at.

Options: `encoding` ("gb18030"; "gbk", "gb2312", "utf-8", … as the printer is set up),
`model` ("generic"; the printer model, which limits the character sizes: one of
`escpos.PRINTER_MODELS`), `qr`
(true: print the ticket's status link as a QR code), `qr_module_size` (6), `feed_lines` (3),
`footer` (a last line, none), `status_interval_s` (30), `answer_timeout_s` (1),
`job_max_age_s` (60), `dots` (the dots across the paper: the model's, 576 for 80 mm paper;
384 for 58 mm), `fetch_timeout_s` (10: fetching a copy).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devices.codecs import escpos
from devices.drivers.asking import AskingDriver
from devices.drivers.base import Binding, DriverEnv, DriverInfo, PortSpec, SerialPort
from devices.drivers.copies import CopyJobError, fetch_copy
from devices.drivers.options import OptionError, Options
from hall.domain.copies import MAX_DOTS, MIN_DOTS, dots_problem

OPTION_KEYS = (
    "encoding",
    "model",
    "qr",
    "qr_module_size",
    "feed_lines",
    "footer",
    "status_interval_s",
    "answer_timeout_s",
    "job_max_age_s",
    "dots",
    "fetch_timeout_s",
)
STATUS_REQUESTS = (1, 4)  # printer online; roll paper sensor
JOBS = ("print", "print_copy")
MAX_QUEUED_JOBS = 20


@dataclass(frozen=True)
class EscPosOptions:
    encoding: str = "gb18030"
    model: escpos.PrinterModel = escpos.GENERIC
    qr: bool = True
    qr_module_size: int = 6
    feed_lines: int = 3
    footer: str | None = None
    status_interval_s: float = 30.0
    answer_timeout_s: float = 1.0
    job_max_age_s: float = 60.0
    dots: int = escpos.GENERIC.dots
    fetch_timeout_s: float = 10.0


def parse_options(raw: Mapping[str, Any]) -> EscPosOptions:
    opts = Options(raw, OPTION_KEYS)
    encoding = opts.string("encoding", "gb18030", max_len=32)
    try:
        "取号".encode(encoding)
    except LookupError:
        raise OptionError("encoding", f'unknown encoding "{encoding}" (e.g. "gb18030")') from None
    except UnicodeEncodeError:
        pass  # e.g. a single-byte code page: tickets with Chinese text will be refused
    model = opts.string("model", "generic", max_len=32)
    if model not in escpos.PRINTER_MODELS:
        known = ", ".join(escpos.PRINTER_MODELS)
        raise OptionError("model", f'unknown printer model "{model}" (known: {known})')
    return EscPosOptions(
        encoding=encoding,
        model=escpos.PRINTER_MODELS[model],
        qr=opts.boolean("qr", True),
        qr_module_size=opts.integer("qr_module_size", 6, 1, 16),
        feed_lines=opts.integer("feed_lines", 3, 0, 255),
        footer=opts.optional_string("footer"),
        status_interval_s=opts.number("status_interval_s", 30.0, 1.0, 3600.0),
        answer_timeout_s=opts.number("answer_timeout_s", 1.0, 0.1, 30.0),
        job_max_age_s=opts.number("job_max_age_s", 60.0, 0.0, 3600.0),
        dots=_dots(opts.integer("dots", escpos.PRINTER_MODELS[model].dots, MIN_DOTS, MAX_DOTS)),
        fetch_timeout_s=opts.number("fetch_timeout_s", 10.0, 1.0, 120.0),
    )


def _dots(dots: int) -> int:
    problem = dots_problem(dots)
    if problem is not None:
        raise OptionError("dots", f"{problem} (576 for 80 mm paper, 384 for 58 mm)")
    return dots


def _local_time(rfc3339: object) -> str:
    """ "2024-05-06T09:12:30.000+08:00" -> "2024-05-06 09:12" (the hall's own time zone)."""
    if isinstance(rfc3339, str):
        try:
            return datetime.fromisoformat(rfc3339).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
    return ""


def print_ticket(job: Mapping[str, Any], options: EscPosOptions) -> escpos.PrintTicket:
    """The ticket of a print job; `EscPosError` when the job lacks what a ticket needs."""
    ticket = job.get("ticket")
    if not isinstance(ticket, dict) or not isinstance(ticket.get("no"), str):
        raise escpos.EscPosError("the print job has no ticket number")
    ahead = ticket.get("ahead")
    eta_s = ticket.get("eta_s")
    return escpos.PrintTicket(
        hall_name=str(job.get("hall_name") or ""),
        service_name=str(job.get("service_name") or ticket.get("service") or ""),
        number=ticket["no"],
        ahead=ahead if isinstance(ahead, int) and ahead >= 0 else 0,
        eta_min=math.ceil(eta_s / 60) if isinstance(eta_s, int | float) and eta_s >= 0 else None,
        issued_at=_local_time(ticket.get("issued_at")),
        qr_url=job.get("qr_url") if options.qr and isinstance(job.get("qr_url"), str) else None,
        footer=options.footer,
    )


def paper_state(status: escpos.PrinterStatus) -> str | None:
    if status.paper_out:
        return "out"
    if status.paper_near_end:
        return "near_end"
    if status.paper_out is False:
        return "ok"
    return None


class EscPosDriver(AskingDriver[int, escpos.StatusReport]):
    def __init__(
        self, spec: PortSpec, binding: Binding, options: EscPosOptions, env: DriverEnv
    ) -> None:
        super().__init__(spec, binding)
        self.options = options
        self.link = binding.only()
        self.jobs: deque[tuple[float, dict[str, Any]]] = deque(maxlen=MAX_QUEUED_JOBS)
        self.job_ready = asyncio.Event()
        self.printed = 0
        self.copies_printed = 0
        self.refused_copies: list[str] = []  # why the last copies were not printed (newest last)
        self.status = escpos.PrinterStatus()
        self.paper: str | None = None
        self.link.listeners.append(self._on_message)

    def _on_message(self, topic: str, data: dict[str, Any]) -> None:
        if topic != self.link.topic("cmd") or data.get("job") not in JOBS:
            return
        if len(self.jobs) == self.jobs.maxlen:
            self.log.warning("%s: %d jobs waiting; dropped the oldest", self.label, len(self.jobs))
        self.jobs.append((time.monotonic(), data))
        self.job_ready.set()

    def new_decoder(self) -> escpos.Decoder:
        return escpos.Decoder()

    def encode(self, command: int) -> bytes:
        return escpos.encode_status_request(command)

    def port_down(self) -> None:
        self.link.update_status(online=False, dots=self.options.dots)

    async def work(self, port: SerialPort) -> None:
        """Print the jobs as they come; ask for the status after each and every while."""
        await self.check_status(port)
        while True:
            try:
                async with asyncio.timeout(self.options.status_interval_s):
                    await self.job_ready.wait()
            except TimeoutError:
                await self.check_status(port)
                continue
            self.job_ready.clear()
            while self.jobs:
                queued_at, job = self.jobs.popleft()
                age = time.monotonic() - queued_at
                if age > self.options.job_max_age_s:
                    self.log.warning("%s: dropped a print job %.0f s old", self.label, age)
                    continue
                await self.print_job(port, job)
            await self.check_status(port)

    async def print_job(self, port: SerialPort, job: Mapping[str, Any]) -> None:
        if job.get("job") == "print_copy":
            await self.print_copy(port, job)
            return
        try:
            data = escpos.render_ticket(
                print_ticket(job, self.options),
                self.options.encoding,
                qr_module_size=self.options.qr_module_size,
                feed_lines=self.options.feed_lines,
                model=self.options.model,
            )
        except escpos.EscPosError as exc:
            self.log.warning("%s: cannot print this job: %s", self.label, exc)
            return
        await port.write(data)
        self.printed += 1
        self.news.set()
        self.log.info("%s: printed ticket %s", self.label, job["ticket"]["no"])

    async def print_copy(self, port: SerialPort, job: Mapping[str, Any]) -> None:
        """Fetch the copy's raster from the hub, check it, print it and cut."""
        try:
            raster = await fetch_copy(job, self.options.dots, self.options.fetch_timeout_s)
            data = escpos.render_copy(
                raster.width,
                raster.height,
                raster.rows,
                feed_lines=self.options.feed_lines,
                model=self.options.model,
            )
        except (CopyJobError, escpos.EscPosError) as exc:
            self.log.warning("%s: cannot print this copy: %s", self.label, exc)
            self.refused_copies = [*self.refused_copies[-9:], str(exc)]
            self.news.set()
            return
        await port.write(data)
        self.copies_printed += 1
        self.news.set()
        self.log.info("%s: printed a copy, %d x %d dots", self.label, raster.width, raster.height)

    async def check_status(self, port: SerialPort) -> None:
        """Ask DLE EOT 1 and 4 and publish what the printer says (or that it said nothing)."""
        status = escpos.PrinterStatus()
        for n in STATUS_REQUESTS:
            report = await self.ask(port, n, self.options.answer_timeout_s)
            if report is None:  # the printer is silent (off, or not an ESC/POS printer)
                self.log.debug("%s: no answer to DLE EOT %d", self.label, n)
                self.link.update_status(online=False, dots=self.options.dots)
                return
            status = status.merged(report.status)
        self.status = self.status.merged(status)
        fields: dict[str, Any] = {"online": bool(status.online), "dots": self.options.dots}
        paper = paper_state(self.status)
        if paper is not None:
            fields["paper"] = paper
            if paper != self.paper and paper != "ok":
                self.log.warning("%s: paper %s", self.label, paper.replace("_", " "))
            self.paper = paper
        self.link.update_status(**fields)


INFO = DriverInfo(name="escpos", parse_options=parse_options, create=EscPosDriver)
