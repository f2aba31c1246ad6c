"""The simulated terminal: scenario files, terminal behaviour and servers (pty, TCP, in-process)."""
