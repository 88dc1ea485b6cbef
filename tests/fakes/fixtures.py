"""Shared pytest fixtures for the fakes (being written)."""
