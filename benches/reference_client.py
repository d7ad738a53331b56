#!/usr/bin/env python3
"""The reference client of issue 7: the OneTrans protocol (shared/spec/PROTOCOL.md) written the
way an integrator without the library would, with `requests` for HTTP and `cryptography`
(OpenSSL) for SM3 and SM4. benches/call.rs runs it against the same simulator as the library and
compares calls per second.

It implements the whole client side of the spec: the data key (section 3), the compact JSON of
the business data and SM4-ECB-PKCS7 `encData` (section 2), the canonical-JSON sign text and SM3
`signData` (section 4), and for the answer: decryption, signature verification (constant-time
compare) and the nonce check (section 5). A call counts only when all of that passed.

    python3 reference_client.py --url URL --app-id ID --app-key KEY --data FILE --check
    python3 reference_client.py --url URL --app-id ID --app-key KEY --data FILE \
        --threads 4 --seconds 3

`--check` makes one call, prints what happened and exits 0 only on a verified `000000`.
The measuring mode prints one JSON line: {"threads", "calls", "failures", "seconds",
"calls_per_sec"}.
"""

import argparse
import datetime
import hmac
import json
import secrets
import sys
import threading
import time
from decimal import Decimal

import requests
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CHINA = datetime.timezone(datetime.timedelta(hours=8))


# --- crypto (spec sections 2, 3, 4) ----------------------------------------------------------

def sm4_ecb_encrypt(key: bytes, plain: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return enc.update(padded) + enc.finalize()


def sm4_ecb_decrypt(key: bytes, cipher: bytes) -> bytes:
    dec = Cipher(algorithms.SM4(key), modes.ECB()).decryptor()
    padded = dec.update(cipher) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def sm3_hex(text: str) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(text.encode("utf-8"))
    return h.finalize().hex().upper()


def data_key(app_id: str, app_key: str) -> bytes:
    """k = first 16 characters of hex(SM4-ECB-PKCS7(appId[:16], appKey)), as ASCII bytes."""
    id_key = app_id.encode("utf-8")[:16].ljust(16, b"\0")
    return sm4_ecb_encrypt(id_key, app_key.encode("utf-8")).hex().upper()[:16].encode("ascii")


# --- JSON (spec sections 2 and 4) ------------------------------------------------------------

def compact(value) -> str:
    """Compact JSON keeping the text of amounts (parsed as Decimal: `12.50` stays `12.50`,
    which json.dumps cannot do). Strings through json.dumps with ensure_ascii=False: no \\u for
    non-ASCII, only '"', '\\' and control characters escaped, '/' not escaped, as the spec asks.
    """
    if isinstance(value, dict):
        return "{" + ",".join(
            json.dumps(k, ensure_ascii=False) + ":" + compact(v) for k, v in value.items()
        ) + "}"
    if isinstance(value, list):
        return "[" + ",".join(compact(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def number_text(n) -> str:
    if isinstance(n, bool):
        return "true" if n else "false"
    return str(n)  # int, or Decimal (parsed with parse_float=Decimal: keeps "12.50")


def canonical(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool) or isinstance(value, (int, Decimal)):
        return json.dumps(number_text(value), ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        members = sorted(
            (k, v) for k, v in value.items() if v is not None and v != ""
        )  # Python orders str by code point, which is UTF-8 byte order
        return "{" + ",".join(
            json.dumps(k, ensure_ascii=False) + ":" + canonical(v) for k, v in members
        ) + "}"
    raise TypeError(type(value))


def sign_text(envelope: dict, data, app_key: str) -> str:
    pairs = {
        k: v for k, v in envelope.items()
        if k not in ("signData", "encData", "extra", "data") and v is not None and v != ""
    }
    if data is not None and data != "":
        pairs["data"] = data
    parts = []
    for k in sorted(pairs):
        v = pairs[k]
        if isinstance(v, str):
            parts.append(f"{k}={v}")
        elif isinstance(v, (dict, list)):
            parts.append(f"{k}={canonical(v)}")
        else:
            parts.append(f"{k}={number_text(v)}")
    return "&".join(parts) + "&key=" + app_key


# --- one call --------------------------------------------------------------------------------

class Client:
    def __init__(self, url, app_id, app_key, org_id="H46010000000"):
        self.url = url
        self.app_id = app_id
        self.app_key = app_key
        self.org_id = org_id
        self.key = data_key(app_id, app_key)
        self.session = requests.Session()  # kept-alive connection, one per thread

    def call(self, business: dict):
        """Returns (respCode, business code, data); raises on an unverifiable answer."""
        nonce = secrets.token_hex(16)
        envelope = {
            "appId": self.app_id,
            "orgId": self.org_id,
            "encType": "SM4",
            "signType": "SM3",
            "timestamp": datetime.datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
            "nonceStr": nonce,
            "version": "1.0.0",
        }
        plain = compact(business).encode("utf-8")
        envelope["encData"] = sm4_ecb_encrypt(self.key, plain).hex().upper()
        envelope["signData"] = sm3_hex(sign_text(envelope, business, self.app_key))
        body = compact(envelope).encode("utf-8")
        r = self.session.post(
            self.url, data=body,
            headers={"Content-Type": "application/json;charset=UTF-8"}, timeout=30,
        )
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}")
        answer = json.loads(r.content.decode("utf-8"), parse_float=Decimal)
        code = str(answer.get("respCode"))
        if code != "000000":
            return code, None, answer.get("respMsg")
        data = None
        if answer.get("encData"):
            plain = sm4_ecb_decrypt(self.key, bytes.fromhex(answer["encData"]))
            data = json.loads(plain.decode("utf-8"), parse_float=Decimal)
        expected = sm3_hex(sign_text(answer, data, self.app_key))
        if not hmac.compare_digest(expected, str(answer.get("signData", "")).upper()):
            raise RuntimeError("000102: the answer's signature is wrong")
        if answer.get("nonceStr") != nonce:
            raise RuntimeError("000102: the answer's nonceStr is not the request's")
        return code, answer.get("code"), data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--app-id", required=True)
    ap.add_argument("--app-key", required=True)
    ap.add_argument("--data", required=True, help="file with the business data (compact JSON)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    with open(args.data, encoding="utf-8") as f:
        text = f.read()
    business = json.loads(text, parse_float=Decimal)
    if compact(business) != text:
        sys.exit("the business data file is not compact JSON this client reproduces")

    if args.check:
        client = Client(args.url, args.app_id, args.app_key)
        code, biz, data = client.call(business)
        ok = code == "000000" and biz == 0 and data == business
        print(json.dumps({"respCode": code, "code": biz, "echoed": data == business,
                          "verified": ok}))
        sys.exit(0 if ok else 1)

    counts = [0] * args.threads
    failures = [0] * args.threads
    start_barrier = threading.Barrier(args.threads + 1)

    stop_at = [float("inf")]  # set once every thread is connected

    def worker(i):
        client = Client(args.url, args.app_id, args.app_key)
        client.call(business)  # connect and warm up outside the measurement
        start_barrier.wait()
        while time.monotonic() < stop_at[0]:
            try:
                code, biz, _ = client.call(business)
                if code == "000000" and biz == 0:
                    counts[i] += 1
                else:
                    failures[i] += 1
            except Exception:  # noqa: BLE001 - counted, the measurement goes on
                failures[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    start_barrier.wait()
    t0 = time.monotonic()
    stop_at[0] = t0 + args.seconds
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    calls = sum(counts)
    print(json.dumps({
        "threads": args.threads, "calls": calls, "failures": sum(failures),
        "seconds": round(elapsed, 3), "calls_per_sec": round(calls / elapsed, 1),
    }))


if __name__ == "__main__":
    main()
