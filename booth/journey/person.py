"""What a person chooses for themselves alone: their language (the booth's words and the
pack's switch with it) and how they answer (video, video with their face blurred, or their
voice alone). The next person starts again in the event's language, with a video answer."""

from __future__ import annotations

import logging
from typing import TypedDict

from booth import i18n
from booth.journey.answering import Answering
from booth.journey.model import ANSWER_KINDS, AnswerKind, State

# One logger for the whole package: the kiosk's log and the tests filter on this name.
log = logging.getLogger("booth.journey")


class PersonView(TypedDict):
    """What every view says of the person at the booth, whatever the screen."""

    language: str
    languages: tuple[str, ...]
    answer_kind: AnswerKind
    camera_away: bool



class PersonChoices(Answering):
    """``choose_language`` (WELCOME) and ``choose_answer_kind`` (CHOOSE_PROMPT, GET_READY
    before "Start"); the journey resets both for each person (``_reset_session``)."""

    _language: str
    _answer_kind: AnswerKind

    @property
    def language(self) -> str:
        """The language the person at the booth sees and hears (the event's until they choose)."""
        return self._language

    def choose_language(self, language: str) -> None:
        """The person picked their language on the welcome screen: everything they see and
        hear is in it, until the next person (who starts in the event's language)."""
        if not self._allowed("choose_language", State.WELCOME):
            return
        if not self._speaks(language):
            self._stray("choose_language", f"the pack is not in {language!r}")
            return
        self._run("choose_language", lambda: self._set_language(language))

    def choose_answer_kind(self, kind: AnswerKind) -> None:
        """Video, "Blur my face" (video_blurred) or "Just my voice" (voice), for this person's
        next takes; chosen before "Start"."""
        if kind not in ANSWER_KINDS:
            self._stray("choose_answer_kind", f"unknown kind {kind!r}")
            return
        if self._state is State.GET_READY and self._countdown_until is not None:
            self._stray("choose_answer_kind", "already counting down")
            return
        self._run_in("choose_answer_kind", lambda: self._set_answer_kind(kind),
                     State.CHOOSE_PROMPT, State.GET_READY)

    def _speaks(self, language: str) -> bool:
        """The pack is in ``language`` (or it is the pseudo-language, for tests)."""
        return language in self._pack.languages or language == i18n.PSEUDO_LANGUAGE

    def _default_language(self) -> str:
        chosen = self._settings.default_language
        if chosen is not None and self._speaks(chosen):
            return chosen
        if chosen is not None:
            log.warning("the event's language %r is not one of the pack's; using %s",
                        chosen, self._pack.default_language)
        return self._pack.default_language

    def _set_language(self, language: str) -> None:
        """Show and say everything in ``language`` from now on: the booth's own words
        (``booth.i18n``) and the pack's (its view in that language)."""
        try:
            i18n.use(language)
        except i18n.UnknownLanguage:
            # The pack loader refuses such a language; this is the net under it.
            log.error("no catalogue for %r: the booth's words stay in %s", language,
                      i18n.current())
        self._language = language
        self._words = self._pack.in_language(language)

    def _set_answer_kind(self, kind: AnswerKind) -> None:
        self._answer_kind = kind
