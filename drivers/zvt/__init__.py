"""ZVT (the German/Austrian/Swiss cash-register-to-terminal protocol): codec, transports, driver.

See docs/zvt.md. Registered in :mod:`drivers.registry` as ``zvt``.
"""
