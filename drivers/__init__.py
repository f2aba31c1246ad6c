"""Bytes on a wire: transports, framing, the terminal protocol and the simulated world.

Imports nothing of ``techapp`` or ``ui``.
"""
