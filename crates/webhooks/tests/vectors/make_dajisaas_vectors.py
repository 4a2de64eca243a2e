#!/usr/bin/env python3
"""Independent HMAC-SHA1 vectors for the Dajisaas `_dj_signature` check (sourcing-webhooks).

Run: python3 crates/webhooks/tests/vectors/make_dajisaas_vectors.py   (writes dajisaas_hmac_sha1.json beside it)
Only the Python standard library is used (hmac, hashlib, base64, urllib.parse); nothing is shared with the Rust
code. The scheme is the crate's *unconfirmed* best reading of the Dajisaas page "1688 Messages - Signature
Verification": HMAC-SHA1, key = app secret, input = the `message` form value (decoded, UTF-8), output hex or
base64. `form_*` are complete request bodies as an application/x-www-form-urlencoded client would send them.
"""
import base64
import hashlib
import hmac
import json
import os
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

# The Taobao/Tmall "Order status update" example of Dajisaas doc-4966230 (its opening `{` restored).
TAOBAO_EXAMPLE = (
    '{"seller_id": "2100000927014", "message_type": 3, "data": {"business_time": 1650939687564, '
    '"outer_purchase_id": "FY20220426002", "purchase_id": 200002638011, "seller_id": 2100000927014, '
    '"sku_list": [{"item_id": 600123256363335000, "logistic_company_name": "顺丰速运", '
    '"logistic_number": "SF4548527307631", "order_line_no": "1", "sku_id": 4808332513272, '
    '"status": "WAIT_BUYER_CONFIRM_GOODS"}], "status": "WAIT_SELLER_SEND_GOODS"}, '
    '"timestamp": 1650939687, "site": "taobao_hk"}'
)


def mac(key, data):
    return hmac.new(key.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()


def case(name, key, message):
    raw = mac(key, message)
    hex_sig = raw.hex()
    b64_sig = base64.b64encode(raw).decode("ascii")
    encoded_message = urllib.parse.quote_plus(message, safe="")
    return {
        "name": name,
        "key": key,
        "message": message,
        "hex": hex_sig,
        "base64": b64_sig,
        # HMAC over the percent-encoded value as it appears in the body (SignedInput::EncodedMessage).
        "hex_over_encoded_message": mac(key, encoded_message).hex(),
        "form_hex": urllib.parse.urlencode({"message": message, "_dj_signature": hex_sig}),
        "form_base64": urllib.parse.urlencode({"message": message, "_dj_signature": b64_sig}),
        "form_hex_upper": urllib.parse.urlencode({"_dj_signature": hex_sig.upper(), "message": message}),
    }


def main():
    cases = [
        case("taobao order status update example (doc-4966230)", "demoAppSecret", TAOBAO_EXAMPLE),
        case("undocumented JSON message, non-ASCII key", "s3cr3t+/=&中", '{"hello":"世界","n":2542285634920880794}'),
        case("plain text with form metacharacters", "k", "a+b=c&d %e"),
        case("empty message", "demoAppSecret", ""),
    ]
    # A case whose base64 signature contains '+', sent *unencoded* (a sloppy sender): after form decoding the
    # '+' is a space, which the verifier must restore.
    n = 0
    while True:
        message = '{"probe":%d}' % n
        raw = mac("demoAppSecret", message)
        b64_sig = base64.b64encode(raw).decode("ascii")
        if "+" in b64_sig:
            break
        n += 1
    c = case("base64 signature with '+' sent unencoded", "demoAppSecret", message)
    c["form_base64_plus_unencoded"] = (
        "message=" + urllib.parse.quote_plus(message, safe="") + "&_dj_signature=" + b64_sig
    )
    cases.append(c)
    out = {
        "how": "made by make_dajisaas_vectors.py with Python's hmac/hashlib/base64/urllib.parse (independent of the Rust code)",
        "cases": cases,
    }
    with open(os.path.join(HERE, "dajisaas_hmac_sha1.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
