"""The booth: an offline video and priorities booth for council engagement events."""

__version__ = "0.1.0"
