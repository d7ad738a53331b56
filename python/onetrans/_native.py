"""Finding and calling the shared library (``libonetrans.so``, ``OneTrans.dll``) through ctypes."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from pathlib import Path
from typing import List, Optional, Tuple, Union

from . import _json

#: Environment variable naming the library file; looked at first.
LIBRARY_ENV = "ONETRANS_LIBRARY"

#: The first output buffer: the library's default ``outBufSize``.
FIRST_CAPACITY = 64 * 1024

_HERE = Path(__file__).resolve().parent


def library_names() -> List[str]:
    """The file names the library has on this platform (the vendor's name first on Windows)."""
    if sys.platform == "win32":
        return ["OneTrans.dll", "onetrans.dll"]
    if sys.platform == "darwin":
        return ["libonetrans.dylib"]
    return ["libonetrans.so"]


def candidates() -> List[Path]:
    """Where :func:`find_library` looks, in order: ``$ONETRANS_LIBRARY``, then the copy a wheel
    bundles (``onetrans/_lib/``), then the package's own folder."""
    places: List[Path] = []
    given = os.environ.get(LIBRARY_ENV)
    if given:
        places.append(Path(given))
    for folder in (_HERE / "_lib", _HERE):
        places.extend(folder / name for name in library_names())
    return places


def find_library() -> Path:
    """The library file by the rules of :func:`candidates`, else the system's search
    (``ctypes.util.find_library("onetrans")``).

    Raises:
        OSError: naming every place looked at, when none has it.
    """
    places = candidates()
    if os.environ.get(LIBRARY_ENV):
        # Given explicitly: that file or an error, never another library silently.
        if places[0].is_file():
            return places[0].resolve()
        raise OSError(
            f"{LIBRARY_ENV}={places[0]} 不存在 (the library file named by {LIBRARY_ENV} does not exist)"
        )
    for place in places:
        if place.is_file():
            return place.resolve()
    system = ctypes.util.find_library("onetrans") or ctypes.util.find_library("OneTrans")
    if system:
        return Path(system)
    raise OSError(
        "找不到 onetrans 动态库：请设置环境变量 ONETRANS_LIBRARY=文件路径，或安装带动态库的 wheel "
        "(the onetrans library was not found: set ONETRANS_LIBRARY=FILE, or install a wheel that "
        f"bundles it). Looked at: {[str(p) for p in places]}"
    )


class Library:
    """The loaded library and its length-aware exports. Thread-safe: ctypes releases the GIL
    during each call, and the ``000106`` recovery runs on the calling thread as the library
    requires."""

    def __init__(self, path: Union[str, os.PathLike]):
        self.path = Path(path).resolve() if os.path.sep in str(path) else Path(path)
        if sys.platform == "win32":
            if hasattr(os, "add_dll_directory") and self.path.parent != Path("."):
                os.add_dll_directory(str(self.path.parent))
            lib = ctypes.WinDLL(str(self.path))  # __stdcall on 32-bit, as the vendor's DLL
        else:
            lib = ctypes.CDLL(str(self.path))
        u32p = ctypes.POINTER(ctypes.c_uint32)
        # The returned codes belong to the library: c_char_p copies them, never frees them.
        lib.MobileTransEx.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32, u32p]
        lib.MobileTransEx.restype = ctypes.c_char_p
        lib.OneTransLastOutput.argtypes = [ctypes.c_char_p, ctypes.c_uint32, u32p]
        lib.OneTransLastOutput.restype = ctypes.c_char_p
        lib.OneTransVersion.argtypes = []
        lib.OneTransVersion.restype = ctypes.c_char_p
        self._lib = lib

    def version(self) -> str:
        """The library's version, e.g. ``"0.2.0"``."""
        return (self._lib.OneTransVersion() or b"").decode("ascii")

    def mobile_trans(self, input_json: str) -> Tuple[str, str]:
        """One call with the input JSON as text; returns the return code and the output JSON.

        The input goes as UTF-8 and must say ``"charset":"utf-8"`` in ``data`` (see
        :func:`with_utf8_charset`); an answer larger than the first buffer (``000106``) is
        fetched with ``OneTransLastOutput`` on this thread, never by calling again.
        """
        if "\0" in input_json:
            raise ValueError("入参含 NUL 字符 (the input holds a NUL character, which would end it early)")
        data = input_json.encode("utf-8")
        out = ctypes.create_string_buffer(FIRST_CAPACITY)
        needed = ctypes.c_uint32(0)
        code = self._lib.MobileTransEx(data, out, len(out), ctypes.byref(needed))
        for _ in range(4):  # answered 000000 and verified, but too big: fetch it, never resend
            if code != b"000106" or needed.value <= len(out):
                break
            out = ctypes.create_string_buffer(needed.value)
            code = self._lib.OneTransLastOutput(out, len(out), ctypes.byref(needed))
        return (code or b"444444").decode("ascii", "replace"), out.value.decode("utf-8", "replace")


_default: Optional[Library] = None
_default_lock = threading.Lock()


def default_library() -> Library:
    """The library found by :func:`find_library`, loaded once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Library(find_library())
        return _default


def with_utf8_charset(input_json: str) -> str:
    """``input_json`` with ``"charset":"utf-8"`` first in its ``data`` object (numbers, order
    and text kept), so that the answer comes back in UTF-8 whatever the Windows code page or
    ``OneTrans.ini`` says. Text that is not an object with a ``data`` object goes on unchanged:
    the library answers ``000105`` saying what is wrong.

    Raises:
        ValueError: ``data.charset`` is something other than ``utf-8``.
    """
    try:
        root = _json.loads_verbatim(input_json)
    except ValueError:
        return input_json
    if not isinstance(root, dict) or not isinstance(root.get("data"), dict):
        return input_json
    data = root["data"]
    given = data.get("charset")
    if given is not None:
        if isinstance(given, str) and given.strip().lower() in ("utf-8", "utf8"):
            return input_json
        raise ValueError(
            f'data.charset 为 {given!r}，但 Python 绑定只用 UTF-8，请去掉该键 '
            "(the Python binding speaks UTF-8 only: leave data.charset out)"
        )
    root["data"] = {"charset": "utf-8", **data}
    return _json.dumps(root)
