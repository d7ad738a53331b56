"""Calling onetrans from Python through ctypes, as a Python HIS script would.

Usage:
    python3 examples/python/mobile_trans.py LIBRARY PORTAL_BASE_URL

LIBRARY is the built library (target/debug/libonetrans.so, or OneTrans.dll on Windows) and
PORTAL_BASE_URL the portal simulator's base URL (cargo run -p onetrans-portal prints it).
Each check prints one line; the script ends with "N passed, M failed".
"""

import ctypes
import json
import sys
import threading

APP_ID = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN"
APP_KEY = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"
OUT_SIZE = 65536


def load(path):
    """Loads the library with the platform's calling convention (__stdcall on 32-bit Windows)."""
    lib = ctypes.WinDLL(path) if sys.platform == "win32" else ctypes.CDLL(path)
    # The returned code is owned by the library: c_char_p copies it and never frees it.
    lib.MobileTrans.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.MobileTrans.restype = ctypes.c_char_p
    lib.MobileTransEx.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32,
                                  ctypes.POINTER(ctypes.c_uint32)]
    lib.MobileTransEx.restype = ctypes.c_char_p
    # Pointers to UTF-16 (wchar_t is UTF-16 on Windows only; elsewhere the script passes bytes).
    lib.MobileTransW.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.MobileTransW.restype = ctypes.c_void_p
    lib.OneTransVersion.argtypes = []
    lib.OneTransVersion.restype = ctypes.c_char_p
    return lib


def call(lib, request, encoding="utf-8"):
    """One call: returns (code, output dict). `encoding` is how this script encodes its text
    (a Chinese Windows script might use "gbk"); the answer comes back in the same encoding."""
    out = ctypes.create_string_buffer(OUT_SIZE)
    code = lib.MobileTrans(json.dumps(request, ensure_ascii=False).encode(encoding), out)
    return code.decode("ascii"), json.loads(out.value.decode(encoding))


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
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    lib = load(sys.argv[1])
    base = sys.argv[2]
    results = []

    def check(ok, what, detail=""):
        results.append(ok)
        print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)[:300]))

    print("onetrans", lib.OneTransVersion().decode())
    url = base + "/api/amp/hos/pushMsg"

    code, out = call(lib, push_msg(url, "PY-ORDER-1"))
    check(code == "000000" and out["code"] == 0 and out["data"] == {"response": "SUCCESS"},
          "pushMsg succeeds", (code, out))

    # A GBK caller: Chinese sent in GBK reaches the portal as UTF-8, the answer comes back in GBK.
    echo = base + "/_fault/echo/api/amp/hos/pushMsg"
    code, out = call(lib, push_msg(echo, "PY-GBK-1", deptName="总院牙体牙髓科"), encoding="gbk")
    check(code == "000000" and out["data"]["deptName"] == "总院牙体牙髓科",
          "a GBK caller's Chinese arrives intact and comes back in GBK", (code, out))

    drug = {"data": {"serverAddr": base + "/api/mobile/verificationDrug", "appId": APP_ID,
                     "appKey": APP_KEY, "mobileDrugTipsId": "PY-TICKET-1", "drugTipsIdType": "qr"}}
    code, out = call(lib, drug)
    check(code == "000000" and out["code"] == 0 and out["data"]["drugType"] in ("DRUG", "CHECK", "TEST"),
          "verificationDrug writes a ticket off", (code, out))
    code, out = call(lib, drug)
    check(code == "000000" and out["code"] != 0, "a second write-off is a business failure", (code, out))

    bad_key = push_msg(url, "PY-BADKEY-1")
    bad_key["data"]["appKey"] = "WRONG" + APP_KEY[5:]
    code, out = call(lib, bad_key)
    check(code == "000102" and out["respCode"] == "000102", "a wrong appKey is refused by the portal",
          (code, out))

    code, out = call(lib, {"data": {"appId": APP_ID}})
    check(code == "000105" and "serverAddr" in out["message"], "missing serverAddr is named", (code, out))

    # The wide (UTF-16) interface, as C# or PowerBuilder's Unicode string would call it.
    if ctypes.sizeof(ctypes.c_wchar) == 2:
        out_w = ctypes.create_unicode_buffer(OUT_SIZE // 2)
        text = ctypes.c_wchar_p(json.dumps(push_msg(url, "PY-WIDE-1"), ensure_ascii=False))
        code_ptr = lib.MobileTransW(text, out_w)
        code_w = ctypes.wstring_at(code_ptr)
        check(code_w == "000000" and json.loads(out_w.value)["code"] == 0, "MobileTransW succeeds",
              (code_w, out_w.value))
    else:
        # On Linux wchar_t is 4 bytes: pass UTF-16 explicitly.
        text = json.dumps(push_msg(url, "PY-WIDE-1"), ensure_ascii=False).encode("utf-16-le") + b"\0\0"
        raw_out = ctypes.create_string_buffer(OUT_SIZE)
        code_ptr = lib.MobileTransW(ctypes.c_char_p(text), raw_out)
        code_w = ctypes.string_at(code_ptr, 12).decode("utf-16-le")
        answer = raw_out.raw.decode("utf-16-le").split("\0", 1)[0]
        check(code_w == "000000" and json.loads(answer)["data"] == {"response": "SUCCESS"},
              "MobileTransW (UTF-16) succeeds", (code_w, answer))

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

    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
