"""Shared fakes and fixtures for the booth's tests."""
