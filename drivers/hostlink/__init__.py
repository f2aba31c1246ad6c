"""The CUP-style host link: ISO 8583 over TCP with TPDU and message header (reference §4)."""
