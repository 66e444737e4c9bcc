"""The kiosk window, its screens, the officer panel and the looks."""
