#!/usr/bin/env python3
"""Independent implementation of the vendors' best-evidence signature rules (see
vendor-docs/notes/*/overview.md), used to produce the vectors the Rust signers are tested against.

Run: python3 tests/vectors/make_vectors.py   (writes access_key.json, app_key.json and variants.json next
to this file)
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


def app_key_string(params, secret):
    """Dajisaas `sign` input: drop `sign` and nulls, sort by name (code points, stable), raw k=v joined
    with '&', then '&secret=' + appSecret."""
    kept = [(k, v) for (k, v) in params if k != "sign" and v is not None]
    kept.sort(key=lambda kv: kv[0])
    return "&".join(["%s=%s" % (k, v) for (k, v) in kept] + ["secret=" + secret])


def app_key_signature(params, secret):
    """UPPER(HEX(MD5(app_key_string)))."""
    return hashlib.md5(app_key_string(params, secret).encode("utf-8")).hexdigest().upper()


def app_key_vectors():
    cases = [
        # (name, [(name, value or None), ...] in the order sent, secret)
        ("overview vector (dajisaas/overview.md)",
         [("appKey", "demoKey"), ("keyword", "T恤"), ("beginPage", "1"), ("pageSize", "20"),
          ("country", "en")], "demoSecret"),
        ("payment links GET", [("orderIdList", "2257455039610311973,2257164624870311973"),
                               ("appKey", "demoKey")], "demoSecret"),
        ("JSON body, requestTime rule (appKey + requestTime only)",
         [("appKey", "demoKey"), ("requestTime", "1723620684182")], "demoSecret"),
        ("unicode values and secret", [("appKey", "ключ"), ("keyword", "连衣裙 夏季 👗"),
                                       ("region", "100,200,300,400")], "密钥-🔑"),
        ("empty strings are kept", [("appKey", "k"), ("outOrderId", ""), ("productName", "")], "s"),
        ("values with & and = are signed raw",
         [("appKey", "k"), ("imageUrl", "https://cbu01.alicdn.com/a.jpg?x=1&y=2"), ("q", "a=b&c")], "s"),
        ("nulls are dropped, sign is ignored",
         [("appKey", "k"), ("imageId", None), ("sign", "STALE"), ("beginPage", "1")], "s"),
        ("case-sensitive code-point order", [("b", "1"), ("B", "2"), ("appKey", "k"), ("a_b", "3"),
                                            ("aB", "4")], "s"),
        ("repeated names keep their order", [("appKey", "k"), ("id", "2"), ("id", "1")], "s"),
        ("empty secret", [("appKey", "k")], ""),
        ("secret with separators", [("appKey", "k&secret=x")], "s&secret=y"),
    ]
    return [
        {"name": n, "params": [[k, v] for (k, v) in params], "secret": sk,
         "string": app_key_string(params, sk), "sign": app_key_signature(params, sk)}
        for (n, params, sk) in cases
    ]


# ---------------------------------------------------------------------------------------------------------
# Named variants of the unpublished rules (README, "Signing variants"): a request signed end to end under each.

def access_key_variant_vectors():
    """Headers of a signed request per (scheme, TIMESTAMP_UNIT, V2_NONCE)."""
    out = []
    ak, sk, user, millis, nonce = "demoAccessKey", "demoSecret", "2100007341207", 1715669977082, "N" * 32
    for scheme in ("AccessKeyV1", "AccessKeyV2"):
        for unit in ("ms", "s"):
            for v2_nonce in ("omitted", "signed"):
                ts = str(millis if unit == "ms" else millis // 1000)
                with_nonce = scheme == "AccessKeyV1" or v2_nonce == "signed"
                n = nonce if with_nonce else None
                out.append({
                    "name": "%s %s nonce=%s" % (scheme, unit, v2_nonce),
                    "auth": scheme, "settings": {"TIMESTAMP_UNIT": unit, "V2_NONCE": v2_nonce},
                    "access_key": ak, "secret": sk, "user_id": user, "clock_millis": millis, "nonce": nonce,
                    "headers": {"access-key": ak, "timestamp": ts, "nonce-str": n, "user-id": user,
                                "signature": access_key_signature(ak, ts, n, sk)},
                })
    return out


def signed_text(value):
    """POST_SIGNED_FIELDS=top-level: a string raw, other values as compact JSON (keys sorted), null dropped."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def app_key_variant_vectors():
    """Query and body of a signed Dajisaas request per (POST_SIGNED_FIELDS, REQUEST_TIME_UNIT,
    REQUEST_TIME_TYPE, SIGN_PLACEMENT), and of the payment-link GET per ORDER_ID_LIST."""
    key, secret, millis = "demoKey", "demoSecret", 1723620684182
    body = {"webSite": "1688", "orderId": "2257164624870311973", "page": 1, "note": None,
            "addressParam": {"fullName": "张三", "areaText": "滨江区"}}
    out = []
    for fields in ("credentials", "top-level"):
        for unit in ("ms", "s"):
            for time_type in ("number", "string"):
                for placement in ("body", "query"):
                    t = str(millis if unit == "ms" else millis // 1000)
                    signed = [("appKey", key), ("requestTime", t)]
                    if fields == "top-level":
                        signed += [(k, signed_text(v)) for (k, v) in body.items()]
                    sign = app_key_signature(signed, secret)
                    sent = dict(body)
                    sent["appKey"] = key
                    sent["requestTime"] = int(t) if time_type == "number" else t
                    query = []
                    if placement == "body":
                        sent["sign"] = sign
                    else:
                        query.append(["sign", sign])
                    out.append({
                        "name": "POST %s %s %s sign in %s" % (fields, unit, time_type, placement),
                        "settings": {"POST_SIGNED_FIELDS": fields, "REQUEST_TIME_UNIT": unit,
                                     "REQUEST_TIME_TYPE": time_type, "SIGN_PLACEMENT": placement},
                        "app_key": key, "secret": secret, "clock_millis": millis,
                        "method": "POST", "query": [], "body": body,
                        "signed_string": app_key_string(signed, secret),
                        "expected_query": query, "expected_body": sent,
                    })
    ids = "2257455039610311973,2257164624870311973"
    for fmt in ("comma", "json-array"):
        value = ids if fmt == "comma" else "[" + ids + "]"
        signed = [("orderIdList", value), ("appKey", key)]
        sign = app_key_signature(signed, secret)
        out.append({
            "name": "GET orderIdList %s" % fmt, "settings": {"ORDER_ID_LIST": fmt},
            "app_key": key, "secret": secret, "clock_millis": millis,
            "method": "GET", "query": [["orderIdList", ids]], "body": None,
            "signed_string": app_key_string(signed, secret),
            "expected_query": [["orderIdList", value], ["appKey", key], ["sign", sign]], "expected_body": None,
        })
    return out


def write(name, vectors):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(vectors, f, ensure_ascii=False, indent=2)
        f.write("\n")


def main():
    write("access_key.json", access_key_vectors())
    write("app_key.json", app_key_vectors())
    write("variants.json", {"access_key": access_key_variant_vectors(),
                            "app_key": app_key_variant_vectors()})


if __name__ == "__main__":
    main()
