"""What the kiosk keeps of a session once the council holds it, and how it forgets the rest.

A stolen kiosk must not say who answered. So when a bundle's receipt is verified and its
files are gone, the session's own rows go too: ticks, about-you, consent, takes and the
session with its times and look. What stays says nothing about any one person:

- the event's "what others chose" tally, as counts per item (``tally``), and the event's
  totals (``event_totals``), so the people still at the event see the same numbers;
- the tombstone, with times cut to the day;
- a slow, salted hash of the reference code, so a withdrawal asked for later is still
  recognised and the officer is told to pass it to the council.

An event's name (typed by the officer) goes once the event is closed and none of its
sessions is held any more; an event still running keeps its name for the officer.

The code's hash is scrypt under a salt kept in this database. Codes are short by design
(read out over the phone), so the hash slows a thief down rather than stopping one: a
code alone names no one once the rows are gone."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlite_utils import Database

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: In ``tally``, the row with this item id counts the people who ticked the list (an empty
#: id, which no pack item can have): the booth shows a look's bars only once enough people
#: have answered, and says how many (``Store.priority_people``).
PEOPLE_ITEM = ""
_SALT_KEY = "reference_salt"
# About 15 ms a code on a kiosk laptop: cheap for the one code a finished session, a
# purge or a withdrawal hashes, and it makes guessing every code of a kiosk slow work.
_SCRYPT_N = 1 << 13
_SCRYPT_R = 8


def day(timestamp: str | None) -> str | None:
    """An ISO time cut to its day ("2026-03-14T10:02:03+00:00" -> "2026-03-14")."""
    if timestamp is None:
        return None
    found = _DAY.match(timestamp)
    return found.group(0) if found else timestamp


def _salt(db: Database) -> bytes:
    row = db.execute("SELECT value FROM device_meta WHERE key = ?", [_SALT_KEY]).fetchone()
    if row is None:
        db.execute("INSERT INTO device_meta (key, value) VALUES (?, ?)",
                   [_SALT_KEY, secrets.token_hex(16)])
        row = db.execute("SELECT value FROM device_meta WHERE key = ?", [_SALT_KEY]).fetchone()
    return bytes.fromhex(str(row[0]))


def reference_hash(db: Database, code: str) -> str:
    """The kept form of a (normalised) reference code; call inside a write transaction."""
    digest = hashlib.scrypt(code.encode("ascii"), salt=_salt(db), n=_SCRYPT_N, r=_SCRYPT_R,
                            p=1, dklen=32)
    return digest.hex()


def holds_hashed_codes(db: Database) -> bool:
    return bool(db.execute(
        "SELECT EXISTS (SELECT 1 FROM tombstones WHERE reference_hash IS NOT NULL)"
    ).fetchone()[0])


def delivered_with_code(db: Database, code: str) -> list[tuple[str, str | None]]:
    """(bundle id, day a withdrawal was asked for) of forgotten sessions with this code."""
    if not holds_hashed_codes(db):
        return []
    rows = db.execute(
        "SELECT bundle_id, withdrawn_on FROM tombstones WHERE reference_hash = ?"
        " ORDER BY device_seq",
        [reference_hash(db, code)],
    ).fetchall()
    return [(str(r[0]), None if r[1] is None else str(r[1])) for r in rows]


@dataclass(frozen=True)
class Forgotten:
    """What forgetting one session left for the caller: files to delete, the code's hash."""

    reference_hash: str | None
    take_files: list[str]
    withdrawn: bool  # withdrawn while its bundle was on the way: the council must be told


def forget_session(db: Database, session_id: str) -> Forgotten | None:
    """Fold a delivered session into its event's counts and delete its rows (in the
    caller's transaction). None when the session is not held, or still has a bundle on
    its way (it is forgotten when its last bundle is purged)."""
    row = db.execute(
        "SELECT event_id, state, reference_code FROM sessions WHERE id = ?", [session_id]
    ).fetchone()
    if row is None:
        return None
    waiting = db.execute(
        "SELECT COUNT(*) FROM bundles WHERE session_id = ? AND state != 'purged'", [session_id]
    ).fetchone()[0]
    if waiting:
        return None
    event_id, state, code = str(row[0]), str(row[1]), row[2]
    delivered = db.execute(
        "SELECT COUNT(*) FROM bundles WHERE session_id = ?", [session_id]
    ).fetchone()[0]
    takes = db.execute("SELECT COUNT(*) FROM takes WHERE session_id = ?", [session_id]
                       ).fetchone()[0]
    files = [str(r[0]) for r in db.execute(
        "SELECT file_name FROM takes WHERE session_id = ?", [session_id]).fetchall()]
    counted = state in ("finished", "partial")
    db.execute("INSERT OR IGNORE INTO event_totals (event_id) VALUES (?)", [event_id])
    db.execute(
        "UPDATE event_totals SET sessions = sessions + ?, partial_sessions = partial_sessions"
        " + ?, video_answers = video_answers + ?, withdrawn = withdrawn + ?,"
        " bundles = bundles + ? WHERE event_id = ?",
        [int(counted), int(state == "partial"), takes if counted else 0,
         int(state == "withdrawn"), delivered, event_id],
    )
    if counted:
        db.execute(
            "INSERT INTO tally (event_id, list_id, item_id, ticks)"
            " SELECT ?, list_id, item_id, 1 FROM priority_ticks WHERE session_id = ?"
            " ON CONFLICT (event_id, list_id, item_id) DO UPDATE SET ticks = ticks + 1",
            [event_id, session_id],
        )
        db.execute(
            "INSERT INTO tally (event_id, list_id, item_id, ticks)"
            " SELECT DISTINCT ?, list_id, ?, 1 FROM priority_ticks WHERE session_id = ?"
            " ON CONFLICT (event_id, list_id, item_id) DO UPDATE SET ticks = ticks + 1",
            [event_id, PEOPLE_ITEM, session_id],
        )
    hashed = reference_hash(db, str(code)) if code else None
    # The bundles stay (their state answers "already delivered"), linked to no one.
    db.execute("UPDATE bundles SET session_id = '' WHERE session_id = ?", [session_id])
    # ON DELETE CASCADE takes consent, takes, ticks and about-you with it.
    db.execute("DELETE FROM sessions WHERE id = ?", [session_id])
    return Forgotten(hashed, files, state == "withdrawn")


def forget_purged_bundle(db: Database, bundle_id: str) -> None:
    """Cut a purged bundle's row to what answers "already delivered": no manifest (its
    seal time is to the hour), times to the day."""
    db.execute(
        "UPDATE bundles SET manifest_json = '', error = NULL, created_at = substr(created_at,"
        " 1, 10), updated_at = substr(updated_at, 1, 10) WHERE id = ? AND state = 'purged'",
        [bundle_id],
    )
    db.execute(
        "UPDATE receipts SET received_at = substr(received_at, 1, 10) WHERE bundle_id = ?",
        [bundle_id],
    )


def release_event_names(db: Database) -> int:
    """Blank the name, and cut the times to the day, of every closed event none of whose
    sessions is held any more. Returns how many events that was."""
    cursor = db.execute(
        "UPDATE events SET name = '', created_at = substr(created_at, 1, 10),"
        " closed_at = substr(closed_at, 1, 10)"
        " WHERE closed_at IS NOT NULL AND name != ''"
        " AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.event_id = events.id)"
    )
    return int(cursor.rowcount)
