#!/usr/bin/env python3
"""Independent implementation of the vendors' best-evidence signature rules (see
../shared/provider-docs/*/overview.md), used to produce the vectors the Rust signers are tested against.

Run: python3 tests/vectors/make_vectors.py   (writes access_key.json next to this file)
Only the Python standard library is used (hashlib, json); nothing is shared with the Rust code.
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def access_key_signature(access_key, timestamp, nonce, secret):
    """UPPER(HEX(MD5(accessKey + timestamp + nonceStr + accessSecret))); v2 omits the nonce."""
    s = access_key + timestamp + (nonce if nonce is not None else "") + secret
    return hashlib.md5(s.encode("utf-8")).hexdigest().upper()


def access_key_vectors():
    cases = [
        # (name, access_key, timestamp, nonce or None, secret)
        ("overview vector (xportcn/overview.md)", "demoAccessKey", "1715669977082",
         "abcdefghijklmnopqrstuvwxyz012345", "demoSecret"),
        ("doc sample header values, v1", "58c0201dfdf148eca63cbf6bb5e7cf03", "1715669977082",
         "nonce-str", "secret"),
        ("v2 without nonce", "58c0201dfdf148eca63cbf6bb5e7cf03", "1715669977082", None, "secret"),
        ("seconds timestamp", "eb4e1d5755e246cf986caa3b6cce28d7", "1733474179",
         "Q2W3E4R5T6Y7U8I9O0P1A2S3D4F5G6H7", "k"),
        ("unicode secret", "ak", "1700000000000", "n" * 32, "密钥-ключ-🔑"),
        ("empty secret", "ak", "1700000000000", "0" * 32, ""),
        ("secret with separators", "a&b=c", "1", "x", "s&secret=y"),
    ]
    return [
        {"name": n, "access_key": ak, "timestamp": ts, "nonce": nonce, "secret": sk,
         "signature": access_key_signature(ak, ts, nonce, sk)}
        for (n, ak, ts, nonce, sk) in cases
    ]


def main():
    with open(os.path.join(HERE, "access_key.json"), "w", encoding="utf-8") as f:
        json.dump(access_key_vectors(), f, ensure_ascii=False, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
