"""The exceptions of :meth:`onetrans.Client.call`: one class per way a call can fail, grouped by
what the caller should do next.

* :class:`NotSentError` (``000100``, ``000105``): the request was certainly not sent. Safe to
  retry once the cause is fixed.
* :class:`OutcomeUnknownError` (``000001``, ``000101``, ``000102``, ``444444``): the request was
  or may have been carried out. Query the transaction's state before any retry.
* :class:`PortalRejectedError` (any code that is not the library's own: ``010010``,
  ``404404``, ``-8``, ...): the portal refused the request, passed through as it said it.
* :class:`BadAnswerError` (``000002``) and :class:`MaintenanceError` (``000003``).

A business failure (return code ``000000``, business ``code`` not 0) is not an exception: it is
a :class:`onetrans.Result` whose ``ok`` is false.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type

#: The library's own return codes (README, section 2); any other code is the portal's.
LIBRARY_CODES = frozenset(
    ["000000", "000001", "000002", "000003", "000100", "000101", "000102", "000105", "000106", "444444"]
)


class OneTransError(Exception):
    """A call that did not end in a verified answer (return code other than ``000000``).

    Attributes:
        resp_code: the return code (``"000100"``, ``"010010"``, ...).
        message: the library's explanation, Chinese first, then English, saying what to do.
        raw: the output JSON exactly as the library wrote it.
        output: that JSON parsed (an empty dict when it was not JSON).
    """

    #: Whether a retry is safe without asking the portal first.
    retry_safe = False

    def __init__(self, resp_code: str, message: str, raw: str, output: Optional[Mapping[str, Any]] = None):
        super().__init__(f"{resp_code}: {message}")
        self.resp_code = resp_code
        self.message = message
        self.raw = raw
        self.output: Dict[str, Any] = dict(output or {})


class NotSentError(OneTransError):
    """``000100`` (the portal was not reached) or ``000105`` (bad input or configuration): the
    request was certainly not sent; safe to retry once the cause is fixed."""

    retry_safe = True


class UnreachableError(NotSentError):
    """``000100``: DNS, refused connection, connect timeout, TLS or certificate failure."""


class BadInputError(NotSentError):
    """``000105``: the input or a configuration value is wrong; the message names it."""


class OutcomeUnknownError(OneTransError):
    """``000001``, ``000101``, ``000102``, ``444444`` (and a ``000106`` that could not be
    recovered): the request was or may have been carried out. Query the transaction first;
    never resend it blindly."""


class PortalRejectedError(OneTransError):
    """The portal's own rejection, passed through (``010010`` replay or clock, ``404404``
    unknown interface, ``-8`` unknown appId, ...)."""


class BadAnswerError(OneTransError):
    """``000002``: an HTTP status other than 200/503, or an answer not in the portal's format
    (``serverAddr`` pointing at a proxy or a web page?), or one over ``maxResponseBytes``."""


class MaintenanceError(OneTransError):
    """``000003``: HTTP 503, the portal is under maintenance; retry later."""


_BY_CODE: Dict[str, Type[OneTransError]] = {
    "000100": UnreachableError,
    "000105": BadInputError,
    "000001": OutcomeUnknownError,
    "000101": OutcomeUnknownError,
    "000102": OutcomeUnknownError,
    "000106": OutcomeUnknownError,
    "444444": OutcomeUnknownError,
    "000002": BadAnswerError,
    "000003": MaintenanceError,
}


def error_for(resp_code: str, message: str, raw: str, output: Optional[Mapping[str, Any]] = None) -> OneTransError:
    """The exception for a return code other than ``000000``."""
    cls = _BY_CODE.get(resp_code)
    if cls is None:
        cls = PortalRejectedError if resp_code not in LIBRARY_CODES else OneTransError
    return cls(resp_code, message, raw, output)
