"""Events, sessions, takes, priorities, counts and the start-up reconcile."""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlite_utils import Database

from booth.files import fsync_dir, sha256_file
from booth.pack.model import LOOKS
from booth.settings import Paths
from booth.store.database import StoreBase
from booth.store.forget import PEOPLE_ITEM, day, delivered_with_code, release_event_names
from booth.store.records import (
    EVENT_KINDS,
    PART_SUFFIX,
    REFERENCE_PREFIX_FILE,
    Consent,
    Counts,
    Event,
    ReconcileReport,
    Session,
    SessionDetail,
    StoreError,
    Take,
    WithdrawResult,
    row_event,
    row_session,
    row_take,
)
from booth.wire.reference import is_prefix, new_reference_code, normalise_reference

log = logging.getLogger(__name__)


class Sessions(StoreBase):
    """The participant side of the store: events, sessions and what they gave."""

    # ----------------------------------------------------------------- events

    def create_event(
        self,
        name: str,
        kind: str,
        default_look: str,
        requires_adult_confirmation: bool,
        council_event_id: str | None = None,
    ) -> Event:
        """Start an event; any event still open is closed first (one event at a time).
        ``council_event_id`` is the council's id when the officer picked it from the
        council's list (:meth:`start_council_event`)."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {EVENT_KINDS}, got {kind!r}")
        if default_look not in LOOKS:
            raise ValueError(f"look must be one of {LOOKS}, got {default_look!r}")
        event = Event(
            id=uuid.uuid4().hex,
            name=name.strip(),
            kind=kind,
            default_look=default_look,
            requires_adult_confirmation=requires_adult_confirmation,
            created_at=self._now(),
            closed_at=None,
            council_event_id=council_event_id,
        )
        with self._write() as db:
            db.execute(
                "UPDATE events SET closed_at = ? WHERE closed_at IS NULL", [event.created_at]
            )
            db.execute(
                "INSERT INTO events (id, name, kind, default_look, requires_adult_confirmation,"
                " created_at, council_event_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    event.id,
                    event.name,
                    kind,
                    default_look,
                    int(requires_adult_confirmation),
                    event.created_at,
                    council_event_id,
                ],
            )
            council = f", council event {council_event_id}" if council_event_id else ""
            self._audit(db, "create_event",
                        f"event {event.id} ({kind}, {default_look}{council})")
            released = release_event_names(db)  # the one just closed, if none of it is held
        if released:
            self.truncate_wal()
        return event

    def start_council_event(self, council_event_id: str, default_look: str,
                            requires_adult_confirmation: bool) -> Event:
        """Start the event the council listed as ``council_event_id`` (its name and kind
        come from the list; the look and the grown-up's confirmation are the officer's)."""
        row = self._one("SELECT name, kind FROM council_events WHERE id = ?", [council_event_id])
        if row is None:
            raise StoreError("That event is not on the council's list any more. Sync, then "
                             "choose again.")
        return self.create_event(row["name"], row["kind"], default_look,
                                 requires_adult_confirmation, council_event_id=council_event_id)

    def set_event_language(self, event_id: str, language: str | None) -> None:
        """The language each person at the event starts in (None: the pack's default)."""
        with self._write() as db:
            db.execute("UPDATE events SET default_language = ? WHERE id = ?",
                       [language, event_id])
            self._audit(db, "event_language", f"event {event_id}: {language or 'the pack default'}")

    def set_event_spoken_looks(self, event_id: str, looks: Iterable[str] | None) -> None:
        """The looks whose screens are read aloud without being asked (None: the child
        look only, the booth's default)."""
        chosen = None if looks is None else [look for look in LOOKS if look in set(looks)]
        with self._write() as db:
            db.execute("UPDATE events SET spoken_looks = ? WHERE id = ?",
                       [None if chosen is None else ",".join(chosen), event_id])
            self._audit(db, "event_spoken_looks",
                        f"event {event_id}: {'default' if chosen is None else chosen or 'none'}")

    def current_event(self) -> Event | None:
        row = self._one(
            "SELECT * FROM events WHERE closed_at IS NULL ORDER BY created_at DESC, rowid DESC"
            " LIMIT 1"
        )
        return row_event(row) if row else None

    def get_event(self, event_id: str) -> Event | None:
        row = self._one("SELECT * FROM events WHERE id = ?", [event_id])
        return row_event(row) if row else None

    def events(self) -> list[Event]:
        return [row_event(r) for r in self._rows("SELECT * FROM events ORDER BY rowid")]

    def close_event(self, event_id: str) -> None:
        """Close an event. Its name goes now if none of its sessions is held any more (all
        delivered), or when the last one is delivered (see :mod:`booth.store.forget`)."""
        released = 0
        with self._write() as db:
            cursor = db.execute(
                "UPDATE events SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                [self._now(), event_id],
            )
            if cursor.rowcount:
                self._audit(db, "close_event", f"event {event_id}")
                released = release_event_names(db)
        if released:
            self.truncate_wal()

    # ----------------------------------------------------------------- sessions

    def open_session(
        self, session_id: str, event_id: str, look: str, prompt_id: str | None = None
    ) -> Session:
        if look not in LOOKS:
            raise ValueError(f"look must be one of {LOOKS}, got {look!r}")
        session = Session(
            id=session_id,
            event_id=event_id,
            look=look,
            state="open",
            reference_code=None,
            started_at=self._now(),
            finished_at=None,
            prompt_id=prompt_id,
        )
        with self._write() as db:
            db.execute(
                "INSERT INTO sessions (id, event_id, look, state, started_at, prompt_id)"
                " VALUES (?, ?, ?, 'open', ?, ?)",
                [session_id, event_id, look, session.started_at, prompt_id],
            )
        return session

    def get_session(self, session_id: str) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE id = ?", [session_id])
        return row_session(row) if row else None

    def session_by_reference(self, reference_code: str) -> Session | None:
        row = self._one(
            "SELECT * FROM sessions WHERE reference_code = ?", [normalise_reference(reference_code)]
        )
        return row_session(row) if row else None

    def _require_open(self, db: Database, session_id: str) -> None:
        row = db.execute("SELECT state FROM sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise StoreError(f"There is no session {session_id}.")
        if row[0] != "open":
            raise StoreError(f"Session {session_id} is {row[0]}, not open.")

    def record_consent(
        self,
        session_id: str,
        look: str,
        wording_digest: str,
        pack_id: str,
        pack_digest: str,
        adult_confirmed: bool,
        language: str = "en",
    ) -> Consent:
        """The consent as given: ``wording_digest`` of the words the person read, in
        ``language``, and ``pack_digest`` of the pack they came from (with that language's
        translation file)."""
        consent = Consent(
            session_id=session_id,
            look=look,
            wording_digest=wording_digest,
            pack_id=pack_id,
            pack_digest=pack_digest,
            adult_confirmed=adult_confirmed,
            given_at=self._now(),
            language=language,
        )
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute(
                "INSERT OR REPLACE INTO consents (session_id, look, wording_digest, pack_id,"
                " pack_digest, adult_confirmed, given_at, language)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    session_id,
                    look,
                    wording_digest,
                    pack_id,
                    pack_digest,
                    int(adult_confirmed),
                    consent.given_at,
                    language,
                ],
            )
        return consent

    def keep_take(
        self,
        take_id: str,
        session_id: str,
        prompt_id: str,
        file_name: str,
        size: int,
        sha256: str,
        duration_s: float,
        kind: str = "video",
    ) -> Take:
        """Record a kept answer. The caller has already made the file durable
        (:func:`durable_replace`); this commit is what makes it count. ``kind`` says
        what it is: "video", "video_blurred" or "voice"."""
        if Path(file_name).name != file_name:
            raise ValueError(f"a take's file name is a bare name, got {file_name!r}")
        path = self.paths.takes / file_name
        try:
            on_disk = path.stat().st_size
        except OSError as error:
            raise StoreError(f"The answer's file {path} is not there ({error}).") from error
        if on_disk != size:
            raise StoreError(f"The answer's file {path} has {on_disk} bytes, expected {size}.")
        take = Take(
            id=take_id,
            session_id=session_id,
            prompt_id=prompt_id,
            file_name=file_name,
            size=size,
            sha256=sha256.lower(),
            duration_s=float(duration_s),
            state="kept",
            kept_at=self._now(),
            kind=kind,
        )
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute(
                "INSERT INTO takes (id, session_id, prompt_id, file_name, size, sha256,"
                " duration_s, state, kept_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, 'kept', ?, ?)",
                [
                    take.id,
                    session_id,
                    prompt_id,
                    file_name,
                    size,
                    take.sha256,
                    take.duration_s,
                    take.kept_at,
                    take.kind,
                ],
            )
        return take

    def takes_for_session(self, session_id: str) -> list[Take]:
        return [
            row_take(r)
            for r in self._rows(
                "SELECT * FROM takes WHERE session_id = ? ORDER BY kept_at, rowid", [session_id]
            )
        ]

    def mark_takes_bundled(self, session_id: str) -> int:
        """Kept takes of this session are now inside a sealed bundle."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE takes SET state = 'bundled' WHERE session_id = ? AND state = 'kept'",
                [session_id],
            )
            return cursor.rowcount

    def save_priorities(self, session_id: str, list_id: str, item_ids: Iterable[str]) -> None:
        """Replace this session's ticks on one list."""
        items = list(dict.fromkeys(item_ids))
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute(
                "DELETE FROM priority_ticks WHERE session_id = ? AND list_id = ?",
                [session_id, list_id],
            )
            for item_id in items:
                db.execute(
                    "INSERT INTO priority_ticks (session_id, list_id, item_id) VALUES (?, ?, ?)",
                    [session_id, list_id, item_id],
                )

    def save_about_you(self, session_id: str, answers: Mapping[str, str]) -> None:
        """Replace this session's about-you answers (question id -> option id)."""
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute("DELETE FROM about_you WHERE session_id = ?", [session_id])
            for question_id, option_id in answers.items():
                db.execute(
                    "INSERT INTO about_you (session_id, question_id, option_id) VALUES (?, ?, ?)",
                    [session_id, question_id, option_id],
                )

    def finish_session(self, session_id: str, partial: bool = False) -> str:
        """Close the session and return its reference code (the same one if called again)."""
        with self._write() as db:
            row = db.execute(
                "SELECT state, reference_code FROM sessions WHERE id = ?", [session_id]
            ).fetchone()
            if row is None:
                raise StoreError(f"There is no session {session_id}.")
            state, code = row
            if state in ("finished", "partial") and code:
                return str(code)
            if state != "open":
                raise StoreError(f"Session {session_id} is {state} and cannot be finished.")
            return self._finish(db, session_id, partial)

    def reference_prefix(self) -> str | None:
        """The two characters the council gave this kiosk to begin its codes with (written
        by enrolment under keys/), or None before enrolment: then codes are all random."""
        try:
            text = (self.paths.keys / REFERENCE_PREFIX_FILE).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return None
        return text.strip() if is_prefix(text.strip()) else None

    def _finish(self, db: Database, session_id: str, partial: bool) -> str:
        prefix = self.reference_prefix()
        for _attempt in range(100):
            code = new_reference_code(prefix)
            taken = db.execute(
                "SELECT 1 FROM sessions WHERE reference_code = ?", [code]
            ).fetchone() is not None or bool(delivered_with_code(db, code))
            if not taken:
                break
        else:  # pragma: no cover - 17**4 codes per kiosk; years of sessions to fill
            raise StoreError("Could not find a free reference code.")
        db.execute(
            "UPDATE sessions SET state = ?, reference_code = ?, finished_at = ? WHERE id = ?",
            ["partial" if partial else "finished", code, self._now(), session_id],
        )
        return code

    def delete_session(self, session_id: str) -> list[str]:
        """Remove an abandoned session and its rows; return its take files to delete."""
        with self._write() as db:
            files = [
                str(r[0])
                for r in db.execute(
                    "SELECT file_name FROM takes WHERE session_id = ?", [session_id]
                ).fetchall()
            ]
            # ON DELETE CASCADE removes consent, takes, ticks and about-you.
            db.execute("DELETE FROM sessions WHERE id = ?", [session_id])
        return files

    def withdraw(self, reference_code: str, officer_note: str = "") -> WithdrawResult:
        """Withdraw a participant's answers on request, by their reference code.

        The session stays as ``withdrawn`` (so it is counted as such); its takes, ticks and
        about-you rows go. Bundles that never left are returned for deletion; bundles
        already sent are returned so the officer can ask the council to delete them."""
        code = normalise_reference(reference_code)
        with self._write() as db:
            row = db.execute(
                "SELECT id, state FROM sessions WHERE reference_code = ?", [code]
            ).fetchone()
            if row is None:
                delivered = self._withdraw_delivered(db, code, officer_note)
                if delivered is None:
                    raise StoreError(
                        f"No answers have the reference code {code}. Check the code and try "
                        "again."
                    )
                return delivered
            session_id, state = str(row[0]), str(row[1])
            bundles = db.execute(
                "SELECT id, state FROM bundles WHERE session_id = ? ORDER BY device_seq",
                [session_id],
            ).fetchall()
            to_delete = [str(b[0]) for b in bundles if b[1] in ("sealed", "quarantined")]
            sent = [str(b[0]) for b in bundles if b[1] in ("uploading", "committed", "purged")]
            files = [
                str(r[0])
                for r in db.execute(
                    "SELECT file_name FROM takes WHERE session_id = ?", [session_id]
                ).fetchall()
            ]
            if state == "withdrawn":
                return WithdrawResult(session_id, code, files, to_delete, sent, True)
            db.execute("DELETE FROM takes WHERE session_id = ?", [session_id])
            db.execute("DELETE FROM priority_ticks WHERE session_id = ?", [session_id])
            db.execute("DELETE FROM about_you WHERE session_id = ?", [session_id])
            for bundle_id in to_delete:
                db.execute("DELETE FROM bundles WHERE id = ?", [bundle_id])
            db.execute(
                "UPDATE sessions SET state = 'withdrawn', finished_at = COALESCE(finished_at, ?)"
                " WHERE id = ?",
                [self._now(), session_id],
            )
            note = " ".join(officer_note.split())[:200]
            self._audit(
                db,
                "withdraw",
                f"reference {code}: {len(files)} video answers, {len(to_delete)} unsent"
                f" bundles removed; sent bundles to flag: {', '.join(sent) or 'none'}"
                + (f"; note: {note}" if note else ""),
            )
        return WithdrawResult(session_id, code, files, to_delete, sent)

    def _withdraw_delivered(
        self, db: Database, code: str, officer_note: str
    ) -> WithdrawResult | None:
        """A withdrawal for a session this kiosk delivered and then forgot: recognised by
        its code's hash, noted on its tombstone, and left for the council to carry out."""
        found = delivered_with_code(db, code)
        if not found:
            return None
        sent = [bundle_id for bundle_id, _asked in found]
        if all(asked is not None for _bundle, asked in found):
            return WithdrawResult("", code, [], [], sent, True)
        marks = ", ".join("?" for _ in sent)
        db.execute(
            f"UPDATE tombstones SET withdrawn_on = ? WHERE bundle_id IN ({marks})",
            [day(self._now()), *sent],
        )
        note = " ".join(officer_note.split())[:200]
        self._audit(
            db,
            "withdraw",
            f"reference {code}: delivered earlier and no longer held here; sent bundles to"
            f" flag: {', '.join(sent)}" + (f"; note: {note}" if note else ""),
        )
        return WithdrawResult("", code, [], [], sent)

    def session_detail(self, session_id: str) -> SessionDetail:
        """The session with its consent, kept takes, ticks and about-you, for sealing."""
        with self._mutex:
            session = self.get_session(session_id)
            if session is None:
                raise StoreError(f"There is no session {session_id}.")
            consent_row = self._one("SELECT * FROM consents WHERE session_id = ?", [session_id])
            consent = (
                Consent(
                    **{
                        **{n: consent_row[n] for n in Consent.__dataclass_fields__},
                        "adult_confirmed": bool(consent_row["adult_confirmed"]),
                    }
                )
                if consent_row
                else None
            )
            takes = [t for t in self.takes_for_session(session_id) if t.state != "quarantined"]
            priorities: dict[str, list[str]] = {}
            for row in self._rows(
                "SELECT list_id, item_id FROM priority_ticks WHERE session_id = ?"
                " ORDER BY list_id, rowid",
                [session_id],
            ):
                priorities.setdefault(row["list_id"], []).append(row["item_id"])
            about = {
                row["question_id"]: row["option_id"]
                for row in self._rows(
                    "SELECT question_id, option_id FROM about_you WHERE session_id = ?"
                    " ORDER BY question_id",
                    [session_id],
                )
            }
        return SessionDetail(session, consent, takes, priorities, about)

    def sessions_to_seal(self) -> list[str]:
        """Finished or partial sessions that have no bundle yet, oldest first."""
        return [
            r["id"]
            for r in self._rows(
                "SELECT s.id FROM sessions s WHERE s.state IN ('finished', 'partial')"
                " AND NOT EXISTS (SELECT 1 FROM bundles b WHERE b.session_id = s.id)"
                " ORDER BY s.finished_at, s.rowid"
            )
        ]

    # ----------------------------------------------------------------- counts

    def event_counts(self, event_id: str) -> Counts:
        with self._mutex:
            states = {
                r["state"]: r["n"]
                for r in self._rows(
                    "SELECT state, COUNT(*) AS n FROM sessions WHERE event_id = ? GROUP BY state",
                    [event_id],
                )
            }
            takes = {
                r["state"]: r["n"]
                for r in self._rows(
                    "SELECT t.state, COUNT(*) AS n FROM takes t JOIN sessions s"
                    " ON s.id = t.session_id WHERE s.event_id = ? AND s.state != 'withdrawn'"
                    " GROUP BY t.state",
                    [event_id],
                )
            }
            bundles = {
                r["state"]: r["n"]
                for r in self._rows(
                    "SELECT b.state, COUNT(*) AS n FROM bundles b JOIN sessions s"
                    " ON s.id = b.session_id WHERE s.event_id = ? GROUP BY b.state",
                    [event_id],
                )
            }
            # Sessions already delivered and forgotten live on as these totals.
            gone = self._one("SELECT * FROM event_totals WHERE event_id = ?", [event_id]) or {}
        return Counts(
            sessions=states.get("finished", 0) + states.get("partial", 0)
            + gone.get("sessions", 0),
            video_answers=sum(takes.values()) + gone.get("video_answers", 0),
            withdrawn=states.get("withdrawn", 0) + gone.get("withdrawn", 0),
            pending_bundles=bundles.get("sealed", 0) + bundles.get("uploading", 0),
            committed_bundles=bundles.get("committed", 0) + bundles.get("purged", 0)
            + gone.get("bundles", 0),
            quarantined_bundles=bundles.get("quarantined", 0),
            quarantined_takes=takes.get("quarantined", 0),
            open_sessions=states.get("open", 0),
            partial_sessions=states.get("partial", 0) + gone.get("partial_sessions", 0),
        )

    def priority_tally(self, event_id: str, list_id: str) -> dict[str, int]:
        """How many people at this event ticked each item ("what others chose"): the
        sessions held here, and the counts kept of those delivered and forgotten.
        Withdrawn sessions are not counted; items nobody ticked are absent."""
        return {
            r["item_id"]: r["n"]
            for r in self._rows(
                "SELECT item_id, SUM(n) AS n FROM ("
                " SELECT p.item_id, COUNT(*) AS n FROM priority_ticks p JOIN sessions s"
                " ON s.id = p.session_id WHERE s.event_id = ? AND p.list_id = ?"
                " AND s.state != 'withdrawn' GROUP BY p.item_id"
                " UNION ALL SELECT item_id, ticks FROM tally WHERE event_id = ? AND list_id = ?"
                " AND item_id != ?"
                ") GROUP BY item_id ORDER BY n DESC, item_id",
                [event_id, list_id, event_id, list_id, PEOPLE_ITEM],
            )
        }

    def priority_people(self, event_id: str, list_id: str) -> int:
        """How many people at this event ticked at least one item of this list: the people
        behind ``priority_tally``'s counts, held here or delivered and forgotten."""
        row = self._one(
            "SELECT (SELECT COUNT(DISTINCT p.session_id) FROM priority_ticks p JOIN sessions s"
            " ON s.id = p.session_id WHERE s.event_id = ? AND p.list_id = ?"
            " AND s.state != 'withdrawn')"
            " + COALESCE((SELECT ticks FROM tally WHERE event_id = ? AND list_id = ?"
            " AND item_id = ?), 0) AS n",
            [event_id, list_id, event_id, list_id, PEOPLE_ITEM],
        )
        return int(row["n"]) if row is not None else 0

    # ----------------------------------------------------------------- reconcile

    def reconcile(self, paths: Paths | None = None) -> ReconcileReport:
        """Match files on disk to rows after a crash or power cut. Never deletes a kept
        answer: a take whose file is missing or damaged is quarantined, not removed."""
        paths = paths or self.paths
        report = ReconcileReport()
        with self._mutex:
            for folder in (paths.takes, paths.bundles):
                if folder.is_dir():
                    for part in folder.rglob(f"*{PART_SUFFIX}"):
                        if part.is_file():
                            part.unlink(missing_ok=True)
                            report.part_files_deleted += 1

            for take in self._rows("SELECT * FROM takes WHERE state = 'kept'"):
                path = paths.takes / take["file_name"]
                problem: str | None = None
                if not path.is_file():
                    problem = "file missing"
                elif path.stat().st_size != take["size"]:
                    problem = "size differs"
                elif sha256_file(path) != take["sha256"]:
                    problem = "checksum differs"
                if problem:
                    with self._write() as db:
                        db.execute(
                            "UPDATE takes SET state = 'quarantined' WHERE id = ?", [take["id"]]
                        )
                    log.warning("take %s quarantined: %s", take["id"], problem)
                    report.takes_quarantined += 1
                    report.quarantined_take_ids.append(take["id"])

            open_sessions = self._rows(
                "SELECT s.id, EXISTS (SELECT 1 FROM takes t WHERE t.session_id = s.id)"
                " OR EXISTS (SELECT 1 FROM priority_ticks p WHERE p.session_id = s.id) AS kept"
                " FROM sessions s WHERE s.state = 'open'"
            )
            for row in open_sessions:
                if row["kept"]:
                    with self._write() as db:
                        self._finish(db, row["id"], partial=True)
                    report.sessions_finished_partial += 1
                else:
                    self.delete_session(row["id"])
                    report.sessions_deleted += 1

            if paths.takes.is_dir():
                known = {r["file_name"] for r in self._rows("SELECT file_name FROM takes")}
                for path in paths.takes.iterdir():
                    if path.is_file() and path.name not in known:
                        path.unlink(missing_ok=True)
                        report.orphan_files_deleted += 1
                fsync_dir(paths.takes)

            if paths.bundles.is_dir():
                purged = {
                    r["id"] for r in self._rows("SELECT id FROM bundles WHERE state = 'purged'")
                }
                for path in paths.bundles.iterdir():
                    if path.is_dir() and path.name in purged:
                        shutil.rmtree(path, ignore_errors=True)
                        report.purged_bundle_folders_deleted += 1

        if report.changed:
            log.info("reconcile: %s", report.summary())
            self.audit("reconcile", report.summary())
        return report

