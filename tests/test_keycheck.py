"""Key check values and TDES against the published vectors of the reference (§4.4, §5.1)."""

from __future__ import annotations

import pytest

from drivers.keycheck import check_value, tdes_ecb_decrypt, tdes_ecb_encrypt

TMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
PIK = bytes.fromhex("F039121BEC83D26B169BDCD5B22AAF8F")


def test_tdes_kcv_of_the_psec_vector():
    assert check_value(TMK, 8).hex().upper() == "08D7B4FB629D0885"
    assert check_value(TMK, 3).hex().upper() == "08D7B4"


def test_kcv_of_the_tr31_vector_and_the_cup_worked_example():
    assert check_value(PIK, 3).hex().upper() == "CB9DEA"
    encrypted = tdes_ecb_encrypt(TMK, PIK)
    assert encrypted.hex().upper() == "C3C69451C0685DB8E6B6DCD3F50E8769"
    assert check_value(PIK).hex().upper() == "CB9DEA67"  # CUP carries 4 bytes
    assert tdes_ecb_decrypt(TMK, encrypted) == PIK


def test_single_and_triple_length_keys():
    single = bytes.fromhex("0123456789ABCDEF")
    assert check_value(single) == check_value(single * 3)  # single DES is K1K1K1
    assert check_value(TMK) == check_value(TMK + TMK[:8])  # double is K1K2K1
    with pytest.raises(ValueError, match="8, 16 or 24 bytes"):
        check_value(bytes(10))
