"""``booth doctor``: what the booth sees, and whether it can run a session."""

from __future__ import annotations

import json
import logging
import shutil
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TextIO

from booth.probe import Probe
from booth.settings import Settings

log = logging.getLogger(__name__)

MB = 1_000_000
# When the pack cannot be read we still check the disk, against the longest take a
# pack may allow (booth.pack caps max_take_seconds at 600).
FALLBACK_MAX_TAKE_SECONDS = 600
# Fewer maximum-length answers than this fit: the check passes but says space is low.
LOW_SPACE_TAKES = 10

Check = Callable[[Settings], Probe]


def _max_take_seconds(settings: Settings) -> int:
    from booth.pack import PackError, load_pack

    try:
        return load_pack(settings.pack_path).max_take_seconds
    except PackError:
        return FALLBACK_MAX_TAKE_SECONDS


def check_data_folder(settings: Settings) -> Probe:
    """The data folder exists and the booth can write and delete a file in it."""
    folder = settings.paths.data
    try:
        folder.mkdir(parents=True, exist_ok=True)
        trial = folder / f".doctor-{uuid.uuid4().hex}.part"
        trial.write_bytes(b"booth doctor")
        trial.unlink()
    except OSError as error:
        return Probe("data folder", False, f"The booth cannot write to {folder}: {error}")
    return Probe("data folder", True, f"{folder} (writable)")


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def check_disk(settings: Settings, free_bytes: Callable[[Path], int] = _free_bytes) -> Probe:
    """Enough free space for a maximum-length answer, by the recorder's own bound."""
    from booth.capture.recorder import BYTES_PER_SECOND_BOUND, bytes_needed

    folder = settings.paths.data
    try:
        free = free_bytes(folder)
    except OSError as error:
        return Probe("disk space", False, f"Cannot read the free space of {folder}: {error}")
    seconds = _max_take_seconds(settings)
    need = bytes_needed(seconds)
    per_take = seconds * BYTES_PER_SECOND_BOUND
    fits = max(0, (free - (need - per_take)) // per_take) if per_take else 0
    bound = (
        f"a {seconds} s answer needs up to {per_take / MB:.0f} MB "
        f"({BYTES_PER_SECOND_BOUND / MB:.2f} MB/s) plus {(need - per_take) / MB:.0f} MB spare"
    )
    if free < need:
        return Probe(
            "disk space",
            False,
            f"Only {free / MB:.0f} MB free in {folder}; {bound}. Free some space "
            "(sync or export the answers) before the event.",
        )
    low = " (low: sync or export soon)" if fits < LOW_SPACE_TAKES else ""
    return Probe(
        "disk space",
        True,
        f"{free / 1e9:.1f} GB free: room for about {fits} answers of {seconds} s{low}; {bound}",
    )


def check_database(settings: Settings) -> Probe:
    """The store opens and SQLite's integrity check passes; read-only if a booth is running."""
    from booth.store import Store, StoreError, StoreLockedError, lock_holder

    paths = settings.paths
    holder = lock_holder(paths)
    try:
        if holder is not None:
            if not paths.database.exists():
                return Probe("database", False, f"{paths.database} is missing.")
            store = Store.open_read_only(paths)
            who = f"process {holder}" if holder > 0 else "another process"
            how = f"in use by a running booth ({who}); checked read-only"
        else:
            existed = paths.database.exists()
            store = Store.open(paths)
            how = "opened" if existed else "created (first start)"
    except StoreLockedError as error:
        return Probe("database", True, f"{error} Not checked.")
    except StoreError as error:
        return Probe("database", False, str(error))
    try:
        verdict = store.integrity_check()
        waiting = len(store.bundles_in_state("sealed", "uploading"))
        quarantined = len(store.bundles_in_state("quarantined"))
    except Exception as error:  # a damaged file can fail on any page
        return Probe(
            "database",
            False,
            f"{paths.database} is damaged ({error}). Keep a copy of the data folder and ask "
            "the council's IT team.",
        )
    finally:
        store.close()
    if verdict != "ok":
        return Probe(
            "database",
            False,
            f"{paths.database} failed SQLite's integrity check: {verdict.splitlines()[0]}. "
            "Keep a copy of the data folder and ask the council's IT team.",
        )
    extra = f"; {waiting} bundles waiting to be sent" if waiting else ""
    if quarantined:
        extra += f"; {quarantined} bundles set aside (see the officer panel)"
    return Probe("database", True, f"{paths.database}: {how}, integrity ok{extra}")


def check_pack(settings: Settings) -> Probe:
    """The campaign pack loads and validates."""
    from booth.pack import PackError, load_pack

    try:
        pack = load_pack(settings.pack_path)
    except PackError as error:
        return Probe("campaign pack", False, str(error))
    return Probe(
        "campaign pack",
        True,
        f"{pack.name} ({settings.pack_path}): {len(pack.prompts)} prompts, "
        f"{len(pack.priority_lists)} priority lists, answers up to {pack.max_take_seconds} s",
    )


def check_encoder(settings: Settings) -> Probe:
    """The video and sound encoders the recorder uses are in this build."""
    try:
        import av

        from booth.capture.recorder import AUDIO_CODEC, VIDEO_CODEC

        for codec in (VIDEO_CODEC, AUDIO_CODEC):
            av.codec.Codec(codec, "w")
    except Exception as error:  # ImportError, or av's own error for a missing codec
        return Probe("video encoder", False, f"The booth cannot encode video: {error}")
    return Probe("video encoder", True, f"{VIDEO_CODEC} and {AUDIO_CODEC} (PyAV {av.__version__})")


def check_enrolment(settings: Settings) -> Probe:
    """The booth holds the council's credential, with the keys takes are encrypted to.
    Without it no video answer can be recorded, so it is required; the demo enrols
    itself with its own council when it starts, so there it is only a note."""
    from booth.readiness import enrolment_problem
    from booth.sync.keys import load_credential

    problem = enrolment_problem(settings.paths)
    if problem is not None:
        if settings.demo:
            return Probe("council credential", False, "not enrolled yet: the demo enrols "
                         "itself with its own council on this laptop when it starts",
                         required=False)
        return Probe("council credential", False, problem.sentence)
    credential = load_credential(settings.paths)
    assert credential is not None
    return Probe("council credential", True,
                 f"enrolled as {credential.device_id}; answers are encrypted to "
                 f"{len(credential.recipients)} council key(s) and sent to "
                 f"{credential.server_url}")


def _named(found: list[tuple[int, str]]) -> str:
    return "; ".join(f"{index}: {name}" for index, name in found) or "none found"


def check_camera(settings: Settings) -> Probe:
    """The configured camera source records a short test take."""
    from booth.capture.diagnostics import list_cameras, probe_camera
    from booth.readiness import camera_problem

    probe = probe_camera(settings.camera)
    if not probe.ok:
        probe = replace(probe, detail=camera_problem(probe.detail).sentence)
    if settings.camera.startswith("camera"):
        # Name the cameras the machine has, so the officer can pick another with --source.
        probe = replace(probe, detail=f"{probe.detail} (cameras: {_named(list_cameras())})")
    return replace(probe, name=f"camera ({settings.camera})")


def check_microphone(settings: Settings) -> Probe:
    """The configured sound source gives sound."""
    from booth.capture.diagnostics import list_microphones, probe_microphone
    from booth.readiness import microphone_problem

    probe = probe_microphone(settings.audio)
    if not probe.ok:
        probe = replace(probe, detail=microphone_problem(probe.detail).sentence)
    if settings.audio.startswith("mic"):
        probe = replace(
            probe, detail=f"{probe.detail} (microphones: {_named(list_microphones())})"
        )
    return replace(probe, name=f"microphone ({settings.audio})")


def check_face_blur(settings: Settings) -> Probe:
    """Whether "Blur my face" works: the detector loads and finds the synthetic face."""
    from booth.capture.faces import probe_face_blur

    return probe_face_blur()


def check_server(settings: Settings) -> Probe:
    """Whether the council's server answers (never required: the booth works offline)."""
    from booth.sync.online import probe_server

    probe = probe_server(settings)
    if not probe.ok:
        probe = replace(
            probe, detail=f"{probe.detail}. Answers wait safely on this laptop until it syncs."
        )
    return replace(probe, required=False)


def check_speech(settings: Settings) -> Probe:
    """Which of the pack's languages can be read aloud (never required: without a voice the
    booth hides "Read it to me" in that language)."""
    from booth.i18n import english_name
    from booth.pack import PackError, load_pack
    from booth.ui.speech import probe_speech

    try:
        languages = load_pack(settings.pack_path).languages
    except PackError:
        languages = ["en"]
    found = probe_speech()

    def names(codes: list[str]) -> str:
        return ", ".join(f"{english_name(code)} ({code})" for code in codes)

    if not found.ok:
        return Probe("speech", False, f"Nothing can be read aloud ({found.detail}); "
                     '"Read it to me" is hidden in every language.', required=False)
    spoken = [code for code in languages if found.can_speak(code)]
    silent = [code for code in languages if not found.can_speak(code)]
    detail = (f"Reads aloud in {names(spoken)}" if spoken
              else "Reads aloud in none of the pack's languages")
    if silent:
        detail += f'; no voice for {names(silent)}, so "Read it to me" is hidden in them'
    return Probe("speech", not silent, f"{detail} ({found.detail})", required=False)


CHECKS: tuple[Check, ...] = (
    check_data_folder,
    check_disk,
    check_database,
    check_pack,
    check_enrolment,
    check_camera,
    check_microphone,
    check_encoder,
    check_face_blur,
    check_server,
    check_speech,
)


def _guarded(check: Check, settings: Settings) -> list[Probe]:
    name = (check.__doc__ or check.__name__).strip().splitlines()[0]
    try:
        return [check(settings)]
    except Exception as error:  # a broken check must not hide the others
        log.exception("doctor check %s failed", check.__name__)
        return [Probe(check.__name__.removeprefix("check_"), False, f"{name} failed: {error}")]


def run_checks(settings: Settings, checks: Sequence[Check] = CHECKS) -> list[Probe]:
    """Every check (or the ones given), in the order the officer reads them."""
    probes: list[Probe] = []
    for check in checks:
        probes.extend(_guarded(check, settings))
    return probes


def can_run_session(probes: list[Probe]) -> bool:
    return not any(probe.blocks_sessions for probe in probes)


def _mark(probe: Probe) -> str:
    if probe.ok:
        return " ok "
    return "FAIL" if probe.required else "note"


def render(probes: list[Probe]) -> str:
    width = max(len(probe.name) for probe in probes)
    lines = [f"[{_mark(p)}] {p.name.ljust(width)}  {p.detail}" for p in probes]
    if can_run_session(probes):
        lines.append("The booth can run a session.")
    else:
        failed = ", ".join(p.name for p in probes if p.blocks_sessions)
        lines.append(f"The booth cannot run a session. Fix: {failed}.")
    return "\n".join(lines)


def main(
    settings: Settings,
    as_json: bool = False,
    out: TextIO | None = None,
    checks: Sequence[Check] = CHECKS,
) -> int:
    """Print the checks (text or JSON); 0 when a session can run, 1 when it cannot."""
    out = out or sys.stdout
    probes = run_checks(settings, checks)
    ok = can_run_session(probes)
    for probe in probes:
        log.log(logging.INFO if probe.ok else logging.WARNING, "doctor: %s", probe)
    if as_json:
        json.dump({"ok": ok, "checks": [asdict(p) for p in probes]}, out, indent=2)
        out.write("\n")
    else:
        out.write(render(probes) + "\n")
    out.flush()
    return 0 if ok else 1

