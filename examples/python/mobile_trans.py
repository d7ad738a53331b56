"""Calling onetrans from Python through ctypes, as a Python HIS script would.

Usage:
    python3 examples/python/mobile_trans.py [LIBRARY] PORTAL_BASE_URL

LIBRARY is the built library (target/debug/libonetrans.so, or OneTrans.dll on Windows); without
it, OneTrans.dll (Windows) or libonetrans.so (elsewhere) beside this script. PORTAL_BASE_URL is
the portal simulator's base URL (cargo run -p onetrans-portal prints it). Each check prints one
line; the script ends with "N passed, M failed".

Two things every Python caller must get right, shown here:

* Load the library by its absolute path. Python 3.8+ on Windows searches neither the current
  folder nor PATH for a bare "OneTrans.dll" (ctypes.WinDLL("OneTrans.dll") fails with
  "Could not find module" even when the file is in the current folder).
* Decode the output in the encoding the library answered in. `call` below uses MobileTransW:
  UTF-16 both ways, so the answer decodes the same whatever OneTrans.ini's `charset` says and
  whatever the Windows code page is. With the byte interface (`call_narrow`) the answer comes
  back in the encoding the library read the request as, and with `charset = auto` (the default)
  a request without Chinese (a drug write-off) is answered in the ANSI code page: GBK on Chinese
  Windows, so `.decode("utf-8")` raises on the first Chinese character of the answer. A script
  that sends UTF-8 bytes must therefore set `charset = utf-8` in OneTrans.ini (or
  ONETRANS_CHARSET=utf-8 in the environment before the first call); a script that sends GBK
  bytes must decode with "gbk" (set `charset = gbk` to make it certain).
"""

import concurrent.futures
import ctypes
import json
import os
import sys
import threading

APP_ID = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN"
APP_KEY = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"
# outBufSize (OneTrans.ini, default 65536): the bytes MobileTrans may write. Raise both together:
# the library trusts that every caller buffer is at least this big.
OUT_SIZE = 65536
OUT_UNITS = OUT_SIZE // 2  # MobileTransW writes at most outBufSize/2 UTF-16 units
HERE = os.path.dirname(os.path.abspath(__file__))


def default_library():
    return os.path.join(HERE, "OneTrans.dll" if sys.platform == "win32" else "libonetrans.so")


def load(path):
    """Loads the library by its absolute path, with the platform's calling convention (__stdcall
    on 32-bit Windows: WinDLL), and declares every export."""
    path = os.path.abspath(path)
    if sys.platform == "win32":
        if hasattr(os, "add_dll_directory"):  # Python 3.8+: the DLL's folder, for what lies beside it
            os.add_dll_directory(os.path.dirname(path))
        lib = ctypes.WinDLL(path)
    else:
        lib = ctypes.CDLL(path)
    u32p = ctypes.POINTER(ctypes.c_uint32)
    # Returned codes belong to the library: c_char_p copies them and never frees them.
    lib.MobileTrans.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.MobileTrans.restype = ctypes.c_char_p
    lib.MobileTransEx.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32, u32p]
    lib.MobileTransEx.restype = ctypes.c_char_p
    lib.OneTransLastOutput.argtypes = [ctypes.c_char_p, ctypes.c_uint32, u32p]
    lib.OneTransLastOutput.restype = ctypes.c_char_p
    # UTF-16 as plain pointers: wchar_t is UTF-16 on Windows only, so the script passes
    # UTF-16-LE bytes itself and works the same on every platform.
    lib.MobileTransW.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.MobileTransW.restype = ctypes.c_void_p
    if has_export(lib, "OneTransLastOutputW"):
        lib.OneTransLastOutputW.argtypes = [ctypes.c_void_p, ctypes.c_uint32, u32p]
        lib.OneTransLastOutputW.restype = ctypes.c_void_p
    lib.OneTransVersion.argtypes = []
    lib.OneTransVersion.restype = ctypes.c_char_p
    return lib


def has_export(lib, name):
    try:
        getattr(lib, name)
        return True
    except AttributeError:
        return False


def utf16_at(address):
    """The NUL-terminated UTF-16 string at `address` (a returned code, or an output buffer)."""
    units = ctypes.cast(address, ctypes.POINTER(ctypes.c_uint16))
    n = 0
    while units[n]:
        n += 1
    return ctypes.string_at(address, 2 * n).decode("utf-16-le")


def call(lib, request):
    """One call through MobileTransW (the recommended way from Python): returns (code, output
    dict). After 000106 the output is fetched with OneTransLastOutputW on this same thread,
    right away: the call was made, and calling again would send the request again."""
    data = json.dumps(request, ensure_ascii=False).encode("utf-16-le") + b"\0\0"
    out = ctypes.create_string_buffer(2 * OUT_UNITS)
    code = utf16_at(lib.MobileTransW(data, out))
    if code == "000106":
        return last_output_w(lib)
    return code, json.loads(utf16_at(ctypes.addressof(out)))


def last_output_w(lib):
    """This thread's last output in UTF-16 (after MobileTransW answered 000106). Returns the
    stored call's own code and its output; asks again with the size it reports if needed."""
    capacity = 2 * OUT_UNITS
    for _ in range(2):
        out = ctypes.create_string_buffer(2 * capacity)
        needed = ctypes.c_uint32(0)
        code = utf16_at(lib.OneTransLastOutputW(out, capacity, ctypes.byref(needed)))
        if code != "000106":
            return code, json.loads(utf16_at(ctypes.addressof(out)))
        capacity = needed.value  # UTF-16 units, the terminating 0 included
    raise RuntimeError("OneTransLastOutputW: 000106 twice")


def call_narrow(lib, request, encoding, capacity=OUT_SIZE):
    """One call through MobileTransEx with bytes in `encoding` ("gbk" for a GBK script, "utf-8"
    for a UTF-8 one; a UTF-8 script needs `charset = utf-8` in OneTrans.ini, see above). After
    000106 the output is fetched with OneTransLastOutput on this same thread, into a buffer of
    the size *outLen reported; its code is the stored call's own."""
    out = ctypes.create_string_buffer(capacity)
    needed = ctypes.c_uint32(0)
    data = json.dumps(request, ensure_ascii=False).encode(encoding)
    code = lib.MobileTransEx(data, out, capacity, ctypes.byref(needed)).decode("ascii")
    if code == "000106":
        out = ctypes.create_string_buffer(needed.value)
        code = lib.OneTransLastOutput(out, needed.value, ctypes.byref(needed)).decode("ascii")
    return code, json.loads(out.value.decode(encoding))


def push_msg(url, order, **extra):
    data = {
        "serverAddr": url, "appId": APP_ID, "appKey": APP_KEY,
        "encryptType": "SM4", "signType": "SM3", "timestamp": "", "version": "1.0.0",
        "medOrgOrd": order, "orderStatus": "MERCHANT_PAID", "orgCode": "H46040100001",
        "patientName": "周大鹏", "idType": "02", "idNo": "460029196507081627",
        "pushType": "HOSPITAL_PAYMENT",
    }
    data.update(extra)
    return {"data": data, "orgId": "H46010000000"}


def main():
    args = sys.argv[1:]
    if len(args) == 1:
        args = [default_library()] + args
    if len(args) != 2:
        print(__doc__)
        return 2
    lib = load(args[0])
    base = args[1]
    results = []

    def check(ok, what, detail=""):
        results.append(ok)
        print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)[:300]))

    print("onetrans", lib.OneTransVersion().decode())
    url = base + "/api/amp/hos/pushMsg"
    echo = base + "/_fault/echo/api/amp/hos/pushMsg"

    code, out = call(lib, push_msg(url, "PY-ORDER-1"))
    check(code == "000000" and out["code"] == 0 and out["data"] == {"response": "SUCCESS"},
          "pushMsg succeeds (MobileTransW)", (code, out))

    # No Chinese in the request: through the byte interface this would be answered in the ANSI
    # code page on Chinese Windows; in UTF-16 it decodes the same everywhere.
    drug = {"data": {"serverAddr": base + "/api/mobile/verificationDrug", "appId": APP_ID,
                     "appKey": APP_KEY, "mobileDrugTipsId": "PY-TICKET-1", "drugTipsIdType": "qr"}}
    code, out = call(lib, drug)
    check(code == "000000" and out["code"] == 0 and out["data"]["drugType"] in ("DRUG", "CHECK", "TEST"),
          "verificationDrug writes a ticket off (an all-ASCII request)", (code, out))
    code, out = call(lib, drug)
    check(code == "000000" and out["code"] != 0, "a second write-off is a business failure", (code, out))

    # A GBK script: Chinese sent in GBK reaches the portal as UTF-8 and comes back in GBK.
    code, out = call_narrow(lib, push_msg(echo, "PY-GBK-1", deptName="总院牙体牙髓科"), "gbk")
    check(code == "000000" and out["data"]["deptName"] == "总院牙体牙髓科",
          "a GBK caller's Chinese arrives intact and comes back in GBK", (code, out))

    # 000106 through the byte interface: the call was made; its output is fetched, not re-sent.
    code, out = call_narrow(lib, push_msg(echo, "PY-SMALL-1", blob="x" * 2000), "gbk", capacity=256)
    check(code == "000000" and out["data"]["medOrgOrd"] == "PY-SMALL-1",
          "000106 with MobileTransEx, then OneTransLastOutput returns the stored output", (code, out))

    # 000106 through MobileTransW: an answer of more than 32768 UTF-16 units.
    if has_export(lib, "OneTransLastOutputW"):
        code, out = call(lib, push_msg(echo, "PY-WIDE-BIG", blob="y" * 40000))
        check(code == "000000" and out["data"]["medOrgOrd"] == "PY-WIDE-BIG"
              and len(out["data"]["blob"]) == 40000,
              "000106 with MobileTransW, then OneTransLastOutputW returns the stored output", (code, out))
    else:
        print("SKIP OneTransLastOutputW: this library does not export it (older than issue 10)")

    bad_key = push_msg(url, "PY-BADKEY-1")
    bad_key["data"]["appKey"] = "WRONG" + APP_KEY[5:]
    code, out = call(lib, bad_key)
    check(code == "000102" and out["respCode"] == "000102", "a wrong appKey is refused by the portal",
          (code, out))

    code, out = call(lib, {"data": {"appId": APP_ID}})
    check(code == "000105" and "serverAddr" in out["message"], "missing serverAddr is named", (code, out))

    # Threads at once, each getting its own answer back.
    errors = []

    def worker(n):
        for r in range(5):
            order = "PY-T%02d-%02d" % (n, r)
            c, o = call(lib, push_msg(echo, order))
            if c != "000000" or o["data"]["medOrgOrd"] != order:
                errors.append((c, o))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "8 threads x 5 calls, each answer its own", errors[:1])

    # A thread pool: each task recovers its 000106 on its own thread, right after its call (the
    # stored output is per thread), so tasks running at once never get each other's output.
    def task(n):
        order = "PY-POOL-%02d" % n
        c, o = call_narrow(lib, push_msg(echo, order, blob="z" * 1000), "gbk", capacity=256)
        return c == "000000" and o["data"]["medOrgOrd"] == order
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        pooled = list(pool.map(task, range(16)))
    check(all(pooled), "a pool of 4 threads, 16 calls answered 000106, each recovers its own output",
          pooled)

    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
