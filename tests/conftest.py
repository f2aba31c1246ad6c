"""Shared pytest fixtures. Nothing Qt-related yet; the GUI issue extends this file."""
