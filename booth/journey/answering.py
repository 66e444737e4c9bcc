"""The participant's answers besides the video: ticking priorities, the tally that follows,
and the optional about-you questions (the journey's PRIORITIES, TALLY and ABOUT_YOU rows)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from booth.i18n import N_, tr, trn
from booth.journey.model import SessionEffects, State
from booth.journey.recording import Recording
from booth.pack import CampaignPack

# Translators: said aloud with the bar chart of what other people at this event ticked.
OTHERS_CHOSE = N_("Here is what other people chose.")
# Translators: said aloud before the optional about-you questions.
ABOUT_YOU = N_("Tell us a little about you, if you like.")


def too_many(max_ticks: int) -> str:
    """What is said when someone ticks one more than they may."""
    # Translators: said and shown when someone tries to tick one more priority than they may.
    return trn("You can choose up to {n}.", "You can choose up to {n}.", max_ticks)


class Answering(Recording):
    """Ticks (up to the list's maximum), their one save, and the about-you answers, checked
    against the pack before they are stored. The session is finished by ``Journey``."""

    # Kept by the journey: the pack, and the pack in the person's language.
    _pack: CampaignPack
    _words: CampaignPack
    _effects: SessionEffects
    _ticked: list[str]

    @abstractmethod
    def _finish(self) -> None:
        """Finish the session and show the thank-you screen."""

    def _enter_priorities(self, ticked: Sequence[str] = ()) -> None:
        draft = self._draft
        assert draft is not None
        self._ticked = list(ticked)
        self._notice = None
        self._set_state(State.PRIORITIES)
        self._speak(self._words.priority_list_for(draft.look).spoken)

    def _do_toggle(self, item_id: str) -> None:
        draft = self._draft
        assert draft is not None
        plist = self._pack.priority_list_for(draft.look)
        ids = [item.id for item in plist.items]
        if item_id not in ids:
            self._stray("toggle_priority", f"unknown item {item_id!r}")
            return
        if item_id in self._ticked:
            self._ticked.remove(item_id)
            self._notice = None
            return
        max_ticks = plist.max_ticks
        if len(self._ticked) >= max_ticks:
            self._notice = too_many(max_ticks)
            return
        self._ticked.append(item_id)
        self._notice = None

    def _do_submit_priorities(self, item_ids: Sequence[str]) -> None:
        draft = self._draft
        assert draft is not None
        plist = self._pack.priority_list_for(draft.look)
        known = {item.id for item in plist.items}
        chosen = tuple(item_ids)
        max_ticks = plist.max_ticks
        if len(set(chosen)) != len(chosen) or not set(chosen) <= known:
            self._stray("submit_priorities", f"not items of the list: {chosen!r}")
            return
        if len(chosen) > max_ticks:
            self._notice = too_many(max_ticks)
            self._stray("submit_priorities", f"{len(chosen)} ticks > {max_ticks}")
            return
        self._effects.save_priorities(draft, chosen)
        draft.priorities = chosen
        self._ticked = list(chosen)
        self._notice = None
        self._set_state(State.TALLY)
        self._speak(tr(OTHERS_CHOSE))

    def _after_tally(self) -> None:
        draft = self._draft
        assert draft is not None
        if not tuple(self._pack.about_you_for(draft.look)):
            self._finish()
            return
        self._set_state(State.ABOUT_YOU)
        self._speak(tr(ABOUT_YOU))

    def _do_submit_about_you(self, answers: dict[str, str]) -> None:
        draft = self._draft
        assert draft is not None
        questions = {
            q.id: {o.id for o in q.options}
            for q in self._pack.about_you_for(draft.look)
        }
        for question_id, option_id in answers.items():
            if option_id not in questions.get(question_id, set()):
                self._stray("submit_about_you", f"{question_id!r}={option_id!r}")
                return
        cleaned = dict(answers)
        if cleaned:
            self._effects.save_about_you(draft, cleaned)
        draft.about_you = cleaned
        self._finish()
