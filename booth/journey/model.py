"""What the journey shows and asks for: its states, the view the screens draw, the session
draft the effects are given, and the effects themselves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from booth.i18n import N_, SOURCE_LANGUAGE
from booth.pack import AboutYouQuestion, ConsentWording, Look, PriorityList, Prompt


class State(StrEnum):
    """Where the participant is. ``STILL_THERE`` remembers the state it interrupted."""

    ATTRACT = "attract"
    WELCOME = "welcome"
    CONSENT = "consent"
    CHOOSE_PROMPT = "choose_prompt"
    GET_READY = "get_ready"
    RECORDING = "recording"
    REVIEW = "review"
    PRIORITIES = "priorities"
    TALLY = "tally"
    ABOUT_YOU = "about_you"
    THANK_YOU = "thank_you"
    GOODBYE = "goodbye"
    STILL_THERE = "still_there"
    FAILSAFE = "failsafe"
    # The booth cannot keep answers (its disk is full): a calm screen until space returns.
    RESTING = "resting"


class Goodbye(StrEnum):
    """Why the goodbye screen is shown: the person said no at consent, or pressed Stop."""

    DECLINED = "declined"
    STOPPED = "stopped"


class JourneyError(Exception):
    """An event that makes no sense in the current state. Raised only by a strict journey;
    the kiosk's journey logs such events and ignores them."""


# Translators: shown when the booth has to start again.
FAILSAFE_MESSAGE = N_("Sorry, something went wrong. The booth will be ready again in a moment.")

# Translators: shown on the consent screen when a child presses Yes before the grown-up's box
# is ticked.
ADULT_NEEDED = N_("A grown-up needs to say yes too.")
# Translators: said aloud on the last screen (the reference code follows on the screen).
THANK_YOU = N_("Thank you!")
# Translators: said aloud when nobody has touched the screen for a while.
STILL_THERE = N_("Are you still there? Touch the screen to carry on.")

#: How a person answers a prompt: on video, on video with their face blurred ("Blur my face"),
#: or with their voice alone ("Just my voice"). Everyone starts with "video".
AnswerKind = Literal["video", "video_blurred", "voice"]
ANSWER_KINDS: tuple[AnswerKind, ...] = ("video", "video_blurred", "voice")

# The reason ``recording_failed`` is given when there is no room on the disk for a take;
# the person is told so, and that they can carry on without a video.
NO_ROOM_FOR_VIDEO = "no room on the disk for a video"
NO_ROOM_NOTICE = N_("This booth has run out of room for videos, sorry. You can still tell "
                     "us what matters to you without a video.")


@dataclass(frozen=True)
class EventSettings:
    """How this event runs the journey (set by the officer for the event)."""

    # A child's consent needs a grown-up (teacher, parent) to confirm it too.
    child_needs_adult_confirmation: bool = True
    # Looks whose screens are all read aloud; the others hear nothing unless they ask.
    spoken_looks: frozenset[Look] = frozenset({"child"})
    # The language each person starts in: the officer's choice for this event, or (None) the
    # campaign pack's default_language.
    default_language: str | None = None
    # The thank-you screen (it shows the reference code) returns to the attract screen by
    # itself after this long: long enough to copy a six-character code with a pen, and
    # longer for older people; "More time" adds more_time_seconds, as often as asked.
    thank_you_seconds: float = 45.0
    older_thank_you_seconds: float = 90.0
    more_time_seconds: float = 60.0
    # The short goodbye after "No thanks" or Stop.
    goodbye_seconds: float = 6.0
    # The failsafe screen returns to the attract screen by itself after this long.
    failsafe_seconds: float = 8.0
    # A recorder that has not confirmed a start or a stop after this long has failed.
    recorder_timeout_seconds: float = 10.0
    # Used on the welcome screen, before anyone has chosen a look.
    welcome_idle_seconds: float = 60.0
    welcome_still_there_seconds: float = 20.0


@dataclass
class SessionDraft:
    """One participant's session while it is under way; what the effects are given."""

    session_id: str
    look: Look
    started_at: datetime
    language: str = SOURCE_LANGUAGE  # the language this person chose (their consent's)
    consent_given: bool = False
    adult_confirmed: bool = False
    prompt_id: str | None = None
    take_id: str | None = None
    kept_take_id: str | None = None
    priorities: tuple[str, ...] | None = None
    about_you: dict[str, str] | None = None
    reference_code: str | None = None
    take_ids: list[str] = field(default_factory=list)  # every take started, kept or not
    take_duration_s: float | None = None  # of the take under review (or kept)


@runtime_checkable
class TakeEffects(Protocol):
    """What the journey asks of whoever records and keeps takes (``booth.take.Takes``).

    The answers come back as the journey's ``recording_started``, ``recording_finished``
    and ``recording_failed``, possibly from inside these calls; the journey is ready
    for that."""

    def start_take(self, session: SessionDraft, prompt: Prompt) -> None:
        """Start recording an answer to ``prompt``; report back with ``recording_started``."""
        ...

    def stop_take(self) -> None:
        """Stop the recording; report back with ``recording_finished``."""
        ...

    def discard_take(self, take_id: str) -> None:
        """Delete this take and every trace of it. May be called twice for one take."""
        ...

    def keep_take(self, session: SessionDraft, take_id: str) -> None:
        """Make this take durable: from here it is a kept video answer."""
        ...


class SessionEffects(Protocol):
    """What the journey asks of whoever records the session (``booth.answers.Answers``)."""

    def session_started(self, session: SessionDraft) -> None:
        """Consent was given: open the session and record the consent."""
        ...

    def save_priorities(self, session: SessionDraft, item_ids: Sequence[str]) -> None:
        """Store the ticked priorities."""
        ...

    def save_about_you(self, session: SessionDraft, answers: dict[str, str]) -> None:
        """Store the about-you answers (question id -> option id)."""
        ...

    def finish_session(self, session: SessionDraft) -> str:
        """Finish the session; return its reference code for the thank-you screen."""
        ...

    def abandon_session(self, session: SessionDraft, reason: str) -> None:
        """The person left before the end: delete unkept takes, keep kept answers."""
        ...

    def delete_session(self, session: SessionDraft) -> None:
        """The person pressed Stop: delete everything of the session not yet sealed (its
        consent, ticks, about-you answers and kept takes)."""
        ...

    def speak(self, text: str) -> None:
        """Say ``text`` aloud."""
        ...


class JourneyEffects(TakeEffects, SessionEffects, Protocol):
    """Everything the journey asks the app to do, on one object (a test double does
    both). The journey itself does no I/O."""


@dataclass(frozen=True)
class JourneyView:
    """An immutable snapshot of the journey: all a screen needs to draw itself."""

    state: State
    look: Look | None = None
    # The person's language (the event's until they choose), and those they can choose.
    language: str = SOURCE_LANGUAGE
    languages: tuple[str, ...] = (SOURCE_LANGUAGE,)
    # Whether this look's screens are read aloud without being asked (the event's setting).
    reads_aloud: bool = False
    answer_kind: AnswerKind = "video"
    # The camera was lost and is being reopened: a video answer waits, a voice answer can go.
    camera_away: bool = False
    interrupted: State | None = None
    session_id: str | None = None
    consent: ConsentWording | None = None
    needs_adult_confirmation: bool = False
    prompts: tuple[Prompt, ...] = ()
    prompt: Prompt | None = None
    countdown_remaining: int | None = None  # counting down after "Start", else None
    recording_starting: bool = False
    recording_stopping: bool = False
    seconds_recorded: int = 0
    seconds_left: int | None = None
    take_id: str | None = None
    kept_take_id: str | None = None
    take_duration_s: float | None = None
    priority_list: PriorityList | None = None
    ticked: tuple[str, ...] = ()
    max_ticks: int = 0
    about_you: tuple[AboutYouQuestion, ...] = ()
    still_there_left: int | None = None
    reference_code: str | None = None
    thank_you_left: int | None = None  # seconds before the thank-you screen goes
    goodbye: Goodbye | None = None
    failsafe_message: str | None = None
    notice: str | None = None

    @property
    def ticked_count(self) -> int:
        return len(self.ticked)


Listener = Callable[[JourneyView], None]
