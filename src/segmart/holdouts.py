"""Holdout assignment: a salted hash of (segment, person) mapped to [0, 1).

The same formula is in the SQL macro ``holdout_unit`` (md5 of ``salt|segment|user_id``, first
eight hex digits over 16^8); pytest checks the two agree. A person is in the control group of
a segment when the unit value is below the control share: stable across builds, and
independent between segments because the segment is part of the hashed text.
"""

from __future__ import annotations

import hashlib

DEFAULT_SALT = "segmart-holdouts"


def holdout_unit(segment: str, user_id: str, salt: str = DEFAULT_SALT) -> float:
    digest = hashlib.md5(f"{salt}|{segment}|{user_id}".encode(), usedforsecurity=False)
    return int(digest.hexdigest()[:8], 16) / 16**8


def is_control(segment: str, user_id: str, control_share: float = 0.10,
               salt: str = DEFAULT_SALT) -> bool:
    return holdout_unit(segment, user_id, salt) < control_share
