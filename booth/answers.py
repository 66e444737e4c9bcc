"""What a participant gives besides their video, in the store: consent, priorities and
about-you answers; the session's end (finished, partly finished or forgotten), handed on
to be sealed; and the event's tally the next person sees."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence

from booth.clock import Clock
from booth.journey import SessionDraft
from booth.pack import CampaignPack
from booth.settings import Paths
from booth.store import Store

log = logging.getLogger(__name__)

#: A look's "what others chose" bars are shown only once at least this many people of
#: that look at this event have ticked something: below it, the bars could show what the
#: person before chose.
TALLY_MIN_PEOPLE = 5


class Answers:
    """The journey's ``SessionEffects`` in the real booth (the take is ``booth.take``'s).

    A session that ends is handed over once, to ``hand_over`` (the sync controller,
    which seals it into a bundle and sends it). A booth not enrolled has no one to hand
    it to: the session waits in the store, sealed once the booth is enrolled and
    started again."""

    def __init__(
        self,
        store: Store,
        paths: Paths,
        pack: CampaignPack,
        clock: Clock,
        speak: Callable[[str], None] = lambda text: None,
        hand_over: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.paths = paths
        self.pack = pack
        self.clock = clock
        self._speak = speak
        self.hand_over = hand_over

    # ------------------------------------------------------------ SessionEffects

    def session_started(self, session: SessionDraft) -> None:
        """Consent was given: the record says which words the person agreed to, in the
        language they read them in (the pack's view in that language has its own digest)."""
        words = self.pack.in_language(session.language)
        consent = words.consent_for(session.look)
        digest = hashlib.sha256(consent.text.encode("utf-8")).hexdigest()
        self.store.open_session(session.session_id, self._event_id(), session.look)
        self.store.record_consent(session.session_id, session.look, digest, self.pack.id,
                                  words.digest or self.pack.digest, session.adult_confirmed,
                                  language=session.language)

    def save_priorities(self, session: SessionDraft, item_ids: Sequence[str]) -> None:
        plist = self.pack.priority_list_for(session.look)
        self.store.save_priorities(session.session_id, plist.id, item_ids)

    def save_about_you(self, session: SessionDraft, answers: dict[str, str]) -> None:
        self.store.save_about_you(session.session_id, answers)

    def finish_session(self, session: SessionDraft) -> str:
        code = self.store.finish_session(session.session_id)
        self._hand_over(session.session_id)
        return code

    def abandon_session(self, session: SessionDraft, reason: str) -> None:
        log.info("session abandoned: %s", reason)
        if session.kept_take_id or session.priorities is not None:
            # They pressed keep (or submitted ticks): never lose what they gave.
            self.store.finish_session(session.session_id, partial=True)
            self._hand_over(session.session_id)
        else:
            for name in self.store.delete_session(session.session_id):
                (self.paths.takes / name).unlink(missing_ok=True)

    def delete_session(self, session: SessionDraft) -> None:
        """Stop: delete the session's rows and kept takes. Only an open session can be: one
        that is finished has been handed over to be sealed and sent, and is withdrawn by
        its code instead."""
        stored = self.store.get_session(session.session_id)
        if stored is None:
            return
        if stored.state != "open":
            log.warning("session %s is %s: not deleted by Stop", session.session_id,
                        stored.state)
            return
        for name in self.store.delete_session(session.session_id):
            (self.paths.takes / name).unlink(missing_ok=True)
        log.info("session deleted at the participant's request (Stop)")

    def speak(self, text: str) -> None:
        self._speak(text)

    # ------------------------------------------------------------ the event

    def tally(self, list_id: str) -> tuple[Mapping[str, int], int]:
        """(item id -> people who ticked it, the people behind those counts) at this event,
        the person looking at it included. Below ``TALLY_MIN_PEOPLE`` the counts are
        withheld (empty): they could show one person's choices."""
        event = self.store.current_event()
        if event is None:
            return {}, 0
        people = self.store.priority_people(event.id, list_id)
        if people < TALLY_MIN_PEOPLE:
            return {}, people
        return self.store.priority_tally(event.id, list_id), people

    def _event_id(self) -> str:
        event = self.store.current_event()
        if event is None:
            # Nobody set an event up: record under a plain one the officer can rename.
            event = self.store.create_event(
                f"Event on {self.clock.utcnow():%d %B %Y}", "public", "adult", True)
        return event.id

    def _hand_over(self, session_id: str) -> None:
        if self.hand_over is None:
            log.info("not enrolled: session %s waits to be sealed", session_id)
            return
        try:
            self.hand_over(session_id)
        except Exception:
            log.exception("handing session %s over to be sealed failed", session_id)
