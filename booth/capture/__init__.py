"""Capture: frame sources, audio sources and the MP4 recorder."""
