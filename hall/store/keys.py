"""The key schema of a hall: every Redis key name, built here and nowhere else.

All of a hall's keys share the hash tag `{hall:<id>}`, so one script (or one transaction)
touching several of them runs unchanged on Redis Cluster: the cluster places a key by the text
between its first `{` and the next `}`, so every key of a hall lands in the one slot of its
tag, and two halls' keys never meet in a script. The tag comes first in every key, so nothing
after it (a device's request id, a day) can move a key to another slot.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HallKeys"]


@dataclass(frozen=True)
class HallKeys:
    hall_id: str

    def __post_init__(self) -> None:
        # A brace in the id would end the tag early: the hall's keys could then share a slot
        # (and a script) with another hall's whose id starts the same way.
        if not self.hall_id or "{" in self.hall_id or "}" in self.hall_id:
            raise ValueError(f"a hall id must be non-empty and without braces: {self.hall_id!r}")

    @property
    def tag(self) -> str:
        return f"{{hall:{self.hall_id}}}"

    def _key(self, *parts: str) -> str:
        return ":".join((self.tag, *parts))

    # ----- the hall's records (written by the commit script) -------------------------------
    @property
    def epoch(self) -> str:
        """The fencing token: the newest hub's epoch."""
        return self._key("epoch")

    def tickets(self, day: str) -> str:
        """Hash: ticket number -> ticket, for one day."""
        return self._key("tickets", day)

    def counters(self, day: str) -> str:
        """Hash: service -> last number given, for one day."""
        return self._key("counters", day)

    @property
    def windows(self) -> str:
        return self._key("windows")

    @property
    def times(self) -> str:
        """Hash: service -> learned service time [mean, count]."""
        return self._key("times")

    @property
    def learned(self) -> str:
        """String: what the wait estimate learned of earlier days and today's pauses (JSON of
        `hall.domain.learned`), so a restarted hub keeps it."""
        return self._key("learned")

    @property
    def appointments(self) -> str:
        return self._key("appointments")

    @property
    def catalogue(self) -> str:
        """Hash with the field `current`: the live catalogue once the back office changed it."""
        return self._key("catalogue")

    @property
    def settings_audit(self) -> str:
        """Hash: the audit of the hall's settings changes, field = catalogue version modulo
        `SETTINGS_AUDIT_KEEP` (a ring: the commit that makes version n overwrites n - KEEP)."""
        return self._key("settings_audit")

    @property
    def answered(self) -> str:
        """Sorted set: the (device, request id) pairs answered in the last few minutes, by
        the time they were answered (see `commit.py`, `ANSWERED_KEEP_MS`)."""
        return self._key("answered")

    def idempotency(self, device: str, request_id: str) -> str:
        """The stored response of one (device, request id), kept 24 h."""
        return self._key("idem", device, request_id)

    @property
    def events(self) -> str:
        return self._key("events")

    @property
    def event_seq(self) -> str:
        return self._key("eventseq")

    @property
    def events_sent(self) -> str:
        """The highest `seq` up to which the broker has every event (`sent_events.py`)."""
        return self._key("eventssent")

    # ----- the outbox to the back office (see outbox.py) -----------------------------------
    @property
    def outbox(self) -> str:
        return self._key("outbox")

    @property
    def outbox_dead(self) -> str:
        return self._key("outbox", "dead")

    @property
    def outbox_held(self) -> str:
        """Set: the case ids that have an entry in the dead-letter stream."""
        return self._key("outbox", "dead", "keys")

    @property
    def outbox_requeued(self) -> str:
        """Hash: case id -> entries put back by a retry and not yet settled."""
        return self._key("outbox", "requeued")

    # ----- the hub's secret key for sealed ID numbers (shared by every hub of the hall) -----
    @property
    def sealing_key(self) -> str:
        return self._key("sealing_key")

    # ----- which hub is active (see lease.py) -----------------------------------------------
    @property
    def lease(self) -> str:
        """The active hub's lease: its token, expiring unless renewed."""
        return self._key("lease")

    # ----- dashboard sign-ins (see sessions.py) ---------------------------------------------
    def session(self, token_digest: str) -> str:
        """One sign-in session, under the SHA-256 of its token (the token itself is not kept)."""
        return self._key("session", token_digest)

    @property
    def session_index(self) -> str:
        """Sorted set: the digests of the sessions, scored by when each expires (ms)."""
        return self._key("sessions")

    # ----- staff accounts (users.py) --------------------------------------------------------
    @property
    def users(self) -> str:
        """Hash: user name -> the user's record (JSON; hashes only, never a PIN or password)."""
        return self._key("users")

    @property
    def audit(self) -> str:
        """Stream: account changes and sign-ins (who, what, when), capped."""
        return self._key("audit")

    # ----- e-supervision (not part of the hall's records) ----------------------------------
    @property
    def alarm_acks(self) -> str:
        return self._key("alarm_acks")

    @property
    def presence(self) -> str:
        """Hash: device id -> {"online", "at"}: when its presence last changed (JSON), so a
        device offline alarm keeps its time across a restart or a takeover."""
        return self._key("presence")

    # ----- sign-in attempts on the pages (login_attempts.py) -------------------------------
    def login_attempts(self, kind: str, digest: str) -> str:
        """Hash: failed sign-ins of one account or one address (by digest), while they count."""
        return self._key("login", kind, digest)

    # ----- pages captured at the windows (documents.py) -------------------------------------
    def document(self, page_id: str) -> str:
        """Hash: one captured page's record (never its content: that is an encrypted file)."""
        return self._key("doc", page_id)

    def case_documents(self, case_id: str) -> str:
        """Sorted set: a case's page ids, scored by their order."""
        return self._key("docs", case_id)

    @property
    def documents_due(self) -> str:
        """Sorted set: every page id, scored by when it is deleted unless confirmed sooner."""
        return self._key("docs_due")

    def document_refs(self, sha256: str) -> str:
        """Set: the page ids whose content has this SHA-256 (one encrypted file for them)."""
        return self._key("doc_refs", sha256)

    # ----- copies of pages on a window's printer (copies.py) ---------------------------------
    def copy(self, copy_id: str) -> str:
        """Hash: one copy waiting for its printer (never its raster: an encrypted file)."""
        return self._key("copy", copy_id)

    @property
    def copies_due(self) -> str:
        """Sorted set: every copy id, scored by when its raster is deleted unless fetched."""
        return self._key("copies_due")
