"""The CUP-style maintenance protocol (``cup-maint``): messages, driver and models."""
