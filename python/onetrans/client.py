"""The Pythonic client: :class:`Client` and :class:`Result`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Union

from . import _json
from ._native import Library, default_library
from .errors import error_for

#: Keys of ``data`` the library takes for itself (spec section 1); business fields may not use them.
CONNECTION_KEYS = frozenset(
    [
        "serverAddr", "appId", "appKey", "encryptType", "signType", "timestamp", "version",
        "clientPrvKey", "serverPubKey", "connectTimeoutMs", "readTimeoutMs", "proxy", "charset",
    ]
)


@dataclass(frozen=True)
class Result:
    """A verified answer (return code ``000000``).

    Attributes:
        code: the business code: 0 success, non-zero a business failure (see ``message``).
        ok: ``code == 0``.
        data: the business data (dicts, lists, str, int, :class:`decimal.Decimal`, bool,
            None), numbers exact; None when the answer has none.
        message: the business message.
        resp_code: the return code, ``"000000"``.
        raw: the output JSON exactly as the library wrote it.
        extra: the portal's free text.
        org_id: the institution id echoed.
    """

    code: int
    ok: bool
    data: Any
    message: str
    resp_code: str
    raw: str
    extra: str = ""
    org_id: str = ""


class Client:
    """Calls the portal through the shared library. Immutable and thread-safe: one client may
    serve every thread.

    Args:
        server_addr: the portal's base address (``http://host:port`` or with a path prefix);
            :meth:`call`'s path is appended to it.
        app_id: the appId issued by the portal.
        app_key: the appKey (the vendor's Java SDK calls it appSecret).
        org_id: the institution id, sent and signed when given.
        sign_type: ``"SM3"`` (default) or ``"SM2"``.
        client_prv_key: SM2 only: the institution's private key (or leave it to
            ``OneTrans.ini``'s ``clientPrvKey``).
        server_pub_key: SM2 only: the portal's public key (or ``OneTrans.ini``'s ``serverPubKey``).
        connect_timeout_ms: this client's connect timeout, else the library's setting.
        read_timeout_ms: this client's read timeout, else the library's setting.
        proxy: ``http://[user:password@]host:port``, else the library's setting.
        library: a :class:`onetrans.Library` or a path to the library file; default: found by
            :func:`onetrans.find_library` (``$ONETRANS_LIBRARY`` first).

    Raises:
        ValueError: a required argument is empty, or a timeout is not a positive int.
    """

    def __init__(
        self,
        server_addr: str,
        app_id: str,
        app_key: str,
        org_id: Optional[str] = None,
        sign_type: str = "SM3",
        client_prv_key: Optional[str] = None,
        server_pub_key: Optional[str] = None,
        connect_timeout_ms: Optional[int] = None,
        read_timeout_ms: Optional[int] = None,
        proxy: Optional[str] = None,
        *,
        library: Union[Library, str, "os.PathLike[str]", None] = None,
    ) -> None:
        for name, value in (("server_addr", server_addr), ("app_id", app_id), ("app_key", app_key)):
            if not value:
                raise ValueError(f"{name} 不能为空 ({name} is required)")
        for name, ms in (("connect_timeout_ms", connect_timeout_ms), ("read_timeout_ms", read_timeout_ms)):
            if ms is not None and (isinstance(ms, bool) or not isinstance(ms, int) or ms <= 0):
                raise ValueError(
                    f"{name} 必须是正整数毫秒，或 None 表示用动态库的设置 "
                    f"({name} must be a positive int of milliseconds, or None): {ms!r}"
                )
        self._server_addr = server_addr
        settings: Dict[str, Any] = {
            "appId": app_id,
            "appKey": app_key,
            "encryptType": "SM4",
            "signType": sign_type,
        }
        optional = {
            "clientPrvKey": client_prv_key,
            "serverPubKey": server_pub_key,
            "connectTimeoutMs": connect_timeout_ms,
            "readTimeoutMs": read_timeout_ms,
            "proxy": proxy,
        }
        settings.update({k: v for k, v in optional.items() if v not in (None, "")})
        settings["charset"] = "utf-8"  # the answer in UTF-8, whatever OneTrans.ini or Windows says
        self._settings = settings
        self._org_id = org_id or None
        if library is None or isinstance(library, Library):
            self._library = library
        else:
            self._library = Library(library)

    def __repr__(self) -> str:  # never shows the appKey or the private key
        return f"Client({self._server_addr!r}, app_id={self._settings['appId']!r}, sign_type={self._settings['signType']!r})"

    def url(self, path_or_url: str) -> str:
        """The address a call to ``path_or_url`` goes to: an ``http(s)://`` URL as it is, else
        the path appended to ``server_addr`` with exactly one slash between them."""
        if path_or_url.lower().startswith(("http://", "https://")):
            return path_or_url
        if not path_or_url:
            return self._server_addr
        return self._server_addr.rstrip("/") + "/" + path_or_url.lstrip("/")

    def request_json(self, path_or_url: str, data: Mapping[str, Any]) -> str:
        """The library's input for one call (the vendor document's DLL input), as text."""
        clash = sorted(CONNECTION_KEYS.intersection(data))
        if clash:
            raise ValueError(
                f"业务数据不能使用连接参数名 {clash}，请在 Client 中设置 "
                f"(business fields may not be named {clash}: set them on the Client)"
            )
        body: Dict[str, Any] = {"serverAddr": self.url(path_or_url), **self._settings, **data}
        root: Dict[str, Any] = {"data": body}
        if self._org_id:
            root["orgId"] = self._org_id
        return _json.dumps(root)

    def call(self, path_or_url: str, data: Mapping[str, Any]) -> Result:
        """Calls one interface with the business fields ``data``.

        Values may be str, int, :class:`decimal.Decimal` (written as its text: ``12.50`` stays
        ``12.50``), float, bool, None, dicts and lists.

        Returns:
            The verified answer; ``result.ok`` is false for a business failure.

        Raises:
            NotSentError: ``000100``, ``000105``: certainly not sent; safe to retry.
            OutcomeUnknownError: ``000001``, ``000101``, ``000102``, ``444444``: query first.
            PortalRejectedError: the portal's own code, passed through.
            BadAnswerError, MaintenanceError: ``000002``, ``000003``.
            ValueError: a business field uses a connection key's name, or a value has no JSON form.
        """
        library = self._library or default_library()
        resp_code, raw = library.mobile_trans(self.request_json(path_or_url, data))
        try:
            output = _json.loads(raw)
        except ValueError:
            output = {}
        if not isinstance(output, dict):
            output = {}
        message = output.get("message") or ""
        if resp_code != "000000":
            raise error_for(resp_code, str(message), raw, output)
        code = output.get("code")
        if isinstance(code, bool) or not isinstance(code, int):
            code = -1  # not the library's output shape; never taken for success
        return Result(
            code=code,
            ok=code == 0,
            data=output.get("data"),
            message=str(message),
            resp_code=resp_code,
            raw=raw,
            extra=str(output.get("extra") or ""),
            org_id=str(output.get("orgId") or ""),
        )
