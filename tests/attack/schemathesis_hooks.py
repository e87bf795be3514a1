"""Schemathesis hooks for test_schema.py (loaded through SCHEMATHESIS_HOOKS).

- Every call comes from a new client address (X-Forwarded-For, which the
  served app trusts from 127.0.0.1): the login limit of 5 a minute per
  address would otherwise answer 429 to nearly every generated login, and
  leave login's logic untested. The limit itself is attacked elsewhere.
- The accounts the suite logs in with (FASTGEN_FUZZ_PROTECTED_IDS) are never
  the target of a user-id route: an admin deleting, deactivating or demoting
  itself ends the run's session, and every later case would be a 401. Such a
  case goes to the largest valid id instead, which no user has (404). This is
  done at the call, not by filtering generation, because the coverage phase
  builds its boundary values (1 among them) without the filter hooks.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import schemathesis

_PROTECTED = set(os.environ.get("FASTGEN_FUZZ_PROTECTED_IDS", "").split(","))
_NOBODY = 2**31 - 1
_addresses = (f"172.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in itertools.count(1 << 16))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    case.headers = {**(case.headers or {}), "X-Forwarded-For": next(_addresses)}
    path = case.path_parameters or {}
    if str(path.get("user_id")) in _PROTECTED:
        case.path_parameters = {**path, "user_id": _NOBODY}
