//! The signers match vectors computed by an independent implementation (tests/vectors/make_vectors.py,
//! Python hashlib; regenerate with `python3 tests/vectors/make_vectors.py`).

use serde_json::Value;
use sourcing_runtime::signing::access_key_signature;

fn vectors(name: &str) -> Vec<Value> {
    let path = sourcing_tests::workspace_root()
        .join("tests/vectors")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn access_key_signatures_match_python() {
    let vs = vectors("access_key.json");
    assert!(vs.len() >= 7);
    for v in vs {
        let s = |k: &str| v[k].as_str().unwrap();
        assert_eq!(
            access_key_signature(
                s("access_key"),
                s("timestamp"),
                v["nonce"].as_str(),
                s("secret")
            ),
            s("signature"),
            "vector {}",
            s("name")
        );
    }
}
