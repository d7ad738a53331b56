#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus from the spec's test vectors.

Usage: make_seeds.py VECTORS_JSON OUT_DIR  (creates OUT_DIR/<target>/ for each target)

The vectors' nonce (0123...cdef) and credentials are the ones the targets use, so the
response vectors verify in response_parser and, with the request vectors' fixed timestamp,
in mobile_trans's raw-answer mode: the fuzzer starts from the success path.
"""
import hashlib
import json
import os
import sys

vectors = json.load(open(sys.argv[1], encoding="utf-8"))
out = sys.argv[2]


def put(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


inputs = [r["input"] for r in vectors["request"]]
answers = [r["response_json"] for r in vectors["response"]]
jsons = (
    inputs
    + answers
    + [r["envelope_json"] for r in vectors["request"]]
    + [r["business_data_json"] for r in vectors["request"]]
    + [r["output_json"] for r in vectors["response"]]
    + [c["json"] for c in vectors["canonical"]]
    + [c["canonical"] for c in vectors["canonical"]]
)
for text in jsons:
    put("input_parser", text)
    put("response_parser", text)
for text in inputs:
    # The caller's input in GBK, as a Chinese Windows program passes it.
    put("input_parser", text.encode("gb18030"))
for e in vectors["encrypt"]:
    put("response_parser", e["plain_utf8"])

# mobile_trans: [mode, charset, cap_lo, cap_hi] + input + NUL + answer.
cap = (65535).to_bytes(2, "little")
small = (40).to_bytes(2, "little")
for text in inputs:
    for mode in (0, 1, 2, 3, 4 | 0, 4 | 3, 16):
        for answer in answers[:1] if mode & 3 == 0 else [answers[0], '{"response":"SUCCESS"}']:
            put("mobile_trans", bytes([mode, 0]) + cap + text.encode() + b"\0" + answer.encode())
    put("mobile_trans", bytes([1, 2]) + cap + text.encode("gb18030") + b"\0")
    put("mobile_trans", bytes([1, 0]) + small + text.encode() + b"\0")
    put("mobile_trans", bytes([1, 3]) + cap + text.encode("utf-16-le") + b"\0\0")

# sm2_keys: every key text of section 11, good and bad, the key pairs' forms and the signatures.
sm2 = vectors.get("sm2", {})
for case in sm2.get("key_formats", []) + sm2.get("bad_key_formats", []):
    put("sm2_keys", case["text"])
for pair in sm2.get("keys", []):
    for member in ("private_hex", "private_java_base64", "public_hex", "public_base64"):
        put("sm2_keys", pair[member])
for case in sm2.get("verify", []):
    put("sm2_keys", case["signature_base64"])
# sm4_engines: a 16-byte key, then data: the standard's blocks, and runs long enough for
# every engine's passes, groups and tails (GFNI: 64, 16, <16 blocks; AES-NI: 8, 4, <4).
for b in vectors["sm4_block"]:
    key, plain = bytes.fromhex(b["key_hex"]), bytes.fromhex(b["plain_hex"])
    for blocks in (1, 3, 4, 5, 8, 13, 16, 17, 64, 80, 95, 159):
        put("sm4_engines", key + (plain * blocks))
