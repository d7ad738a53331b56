"""onetrans: the medical-insurance portal's ``MobileTrans`` call from Python, through the
onetrans shared library (signing, encryption, verification and the transport are the
library's; this package gives them a Pythonic shape).

    >>> from onetrans import Client
    >>> client = Client("http://127.0.0.1:8080", APP_ID, APP_KEY)       # doctest: +SKIP
    >>> result = client.call("/api/mobile/verificationDrug",             # doctest: +SKIP
    ...                      {"mobileDrugTipsId": "D1", "drugTipsIdType": "qr"})

The library is found from ``$ONETRANS_LIBRARY``, then the copy a wheel bundles.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple, Union

from ._native import LIBRARY_ENV, Library, candidates, default_library, find_library, with_utf8_charset
from .client import CONNECTION_KEYS, Client, Result
from .errors import (
    BadAnswerError,
    BadInputError,
    MaintenanceError,
    NotSentError,
    OneTransError,
    OutcomeUnknownError,
    PortalRejectedError,
    UnreachableError,
)

__version__ = "0.2.0"

__all__ = [
    "BadAnswerError",
    "BadInputError",
    "CONNECTION_KEYS",
    "Client",
    "LIBRARY_ENV",
    "Library",
    "MaintenanceError",
    "NotSentError",
    "OneTransError",
    "OutcomeUnknownError",
    "PortalRejectedError",
    "Result",
    "UnreachableError",
    "candidates",
    "default_library",
    "find_library",
    "mobile_trans",
    "with_utf8_charset",
]


def mobile_trans(input_json: Union[str, Mapping[str, Any]], library: Optional[Library] = None) -> Tuple[str, str]:
    """The low-level call: the vendor document's input JSON (text, or a mapping written with
    exact numbers) in; the return code and the output JSON text back. ``"charset":"utf-8"`` is
    added to ``data``; nothing raises for a failed call (look at the code).
    """
    from . import _json

    text = input_json if isinstance(input_json, str) else _json.dumps(input_json)
    return (library or default_library()).mobile_trans(with_utf8_charset(text))
