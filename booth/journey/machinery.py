"""How every journey event runs: strays logged and ignored, failing effects guarded,
views published to subscribers only when they change."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable

from booth.clock import Clock
from booth.journey.model import JourneyError, JourneyView, Listener, State

# One logger for the whole package: the kiosk's log and the tests filter on this name.
log = logging.getLogger("booth.journey")


class Machinery(ABC):
    """The part of the journey that is not about participants: the current state, the
    subscribers, and how an event is run. Use it from one thread (the GUI thread)."""

    def __init__(self, clock: Clock, *, strict: bool) -> None:
        self._strict = strict
        self._clock = clock
        self._listeners: list[Listener] = []
        self._last_view: JourneyView | None = None
        self._state = State.ATTRACT
        self._state_since = clock.now()
        self._last_activity = clock.now()

    @property
    def state(self) -> State:
        return self._state

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` now with the current view, then with a fresh view on every
        change (timers included); returns a function that unsubscribes."""
        self._listeners.append(listener)
        self._tell(listener, self.view())

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    @abstractmethod
    def view(self) -> JourneyView:
        """What the screens draw, as of now."""

    @abstractmethod
    def _enter_failsafe(self, reason: str) -> None:
        """End any session and show the failsafe screen."""

    def _allowed(self, name: str, *states: State) -> bool:
        if self._state in states:
            return True
        self._stray(name)
        return False

    def _run_in(self, name: str, action: Callable[[], None], *states: State) -> None:
        """Run event ``name`` if the journey is in one of ``states``; else it is a stray."""
        if self._allowed(name, *states):
            self._run(name, action)

    def _stray(self, name: str, detail: str = "") -> None:
        """An event the screens should not have sent now: logged, ignored (raised if strict)."""
        message = f"ignored {name} in {self._state}" + (f" ({detail})" if detail else "")
        log.info("%s", message)
        if self._strict:
            raise JourneyError(message)

    def _race(self, name: str, detail: str) -> None:
        """A recorder report that lost a race with the participant: normal, only logged."""
        log.info("late %s in %s (%s)", name, self._state, detail)

    def _guard(self, name: str, call: Callable[[], object]) -> None:
        """Call an effect whose failure must not stop the clean-up around it."""
        try:
            call()
        except Exception:
            log.exception("effect %s failed", name)

    def _run(self, name: str, action: Callable[[], None]) -> None:
        self._last_activity = self._clock.now()
        try:
            action()
        except JourneyError:
            self._publish()
            raise
        except Exception:
            log.exception("journey event %s failed in %s", name, self._state)
            if self._state is not State.FAILSAFE:
                self._enter_failsafe(f"{name} failed")
        self._publish()

    def _publish(self) -> None:
        view = self.view()
        if view == self._last_view:
            return
        self._last_view = view
        for listener in list(self._listeners):
            self._tell(listener, view)

    @staticmethod
    def _tell(listener: Listener, view: JourneyView) -> None:
        try:
            listener(view)
        except Exception:  # a screen's bug must not stop the journey
            log.exception("journey listener failed")

    def _set_state(self, state: State) -> None:
        self._state = state
        self._state_since = self._clock.now()
        self._last_activity = self._state_since
