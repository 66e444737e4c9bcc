"""The participant screens, one each. They are thin: they show what they are given and
emit what the person asked for. Nothing here knows the order of the journey.

``base`` holds what every screen shares; ``nav`` the Back/Stop bar above them;
``messages`` the screens that say one thing and wait for a touch, and the overlays that
ask; ``choices`` the screens where a person chooses; ``camera`` the camera screens and
the review player. Signals are listed on each class."""
