"""What stops the booth taking video answers, in one sentence with the plain fix: the
same words in ``booth doctor`` and on the officer's console (both call these)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from booth.device import DiskRoom
from booth.settings import Paths

MB = 1_000_000


@dataclass(frozen=True)
class Problem:
    """Something that stops video answers: what it is and what the officer does."""

    name: str
    sentence: str


NOT_ENROLLED = Problem(
    "enrolment",
    "This booth is not enrolled with the council, so it cannot record video answers or "
    "send anything. Fix: install the council's credential file: in the officer console's "
    "setup, or with `booth enrol FILE`.")


def enrolment_problem(paths: Paths) -> Problem | None:
    """Not enrolled, a damaged credential, or a credential with no council recipients
    (the keys every take is encrypted to); None when the booth can encrypt takes."""
    from booth.sync.keys import CredentialError, load_credential

    try:
        credential = load_credential(paths)
    except CredentialError as error:
        return Problem(
            "enrolment",
            f"This booth's council credential is damaged ({error}), so it cannot record "
            "video answers. Fix: install the council's credential file again (the officer "
            "console's setup, or `booth enrol FILE`).")
    if credential is None:
        return NOT_ENROLLED
    if not credential.recipients:
        return Problem(
            "enrolment",
            "The council's credential names nobody to encrypt answers to, so this booth "
            "cannot record video answers. Fix: ask the council for a new credential file "
            "and install it.")
    return None


def _sentence(detail: str) -> str:
    text = detail.strip() or "it did not answer"
    return text if text.endswith((".", "!", "?")) else f"{text}."


def camera_problem(detail: str) -> Problem:
    """The camera cannot be used; ``detail`` is what the capture layer said."""
    return Problem(
        "camera",
        f"The camera cannot be used: {_sentence(detail)} Fix: plug the camera in (or close "
        "the other program using it), then check again. People can still answer without a "
        "video.")


def microphone_problem(detail: str) -> Problem:
    """The microphone cannot be used; ``detail`` is what the capture layer said."""
    return Problem(
        "microphone",
        f"The microphone cannot be used: {_sentence(detail)} Fix: plug the microphone in "
        "(or unmute it in the laptop's sound settings), then check again.")


def disk_full_problem(room: DiskRoom, folder: Path) -> Problem:
    """Too little room for a full-length take (and the database beside it)."""
    return Problem(
        "disk space",
        f"Disk full: {room.free_bytes / MB:.0f} MB free in {folder}, and a full-length "
        f"answer needs {room.take_bytes / MB:.0f} MB. Fix: sync now or export the answers "
        "to a USB stick (the booth deletes its copies once the council has them), or free "
        "space on the laptop. Until then people can answer without a video.")


# The capture layer's words for a sound problem (booth.capture.audio), told apart from a
# camera problem so the console names the right device.
_SOUND_WORDS = ("microphone", "sound")


def is_microphone_reason(reason: str) -> bool:
    lowered = reason.lower()
    return any(word in lowered for word in _SOUND_WORDS)
