//! Hostile responses: every generated response type (and request type) is fed truncated, mutated and
//! type-confused versions of its documented examples, arbitrary bytes, deep nesting, huge numbers, invalid
//! UTF-8 and very large bodies. Nothing may panic; the client keeps only a bounded prefix of a bad body.
//! Each test prints how many inputs it ran.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sourcing_runtime::{
    AccessKeyCredentials, BODY_PREFIX_LIMIT, Error, ExampleKind, Operation, Transcode,
};
use sourcing_tests::MockServer;

fn all_operations() -> Vec<&'static Operation> {
    sourcing_registry::providers()
        .iter()
        .flat_map(|p| p.operations.iter().copied())
        .collect()
}

/// Every (transcoder, example bytes) pair, plus each transcoder with an empty `data` envelope.
fn corpus() -> Vec<(&'static str, Transcode, Vec<u8>)> {
    let mut out = Vec::new();
    for op in all_operations() {
        out.push((
            op.id,
            op.transcode_response,
            br#"{"code":200,"msg":"ok","data":{}}"#.to_vec(),
        ));
        for ex in op.examples {
            let t = match ex.kind {
                ExampleKind::Request => match op.transcode_request {
                    Some(t) => t,
                    None => continue,
                },
                ExampleKind::Response => op.transcode_response,
            };
            out.push((op.id, t, ex.json.as_bytes().to_vec()));
        }
    }
    out
}

/// Run a transcoder; a panic fails the test with the input that caused it.
fn must_not_panic(op: &str, t: Transcode, input: &[u8]) {
    let r = std::panic::catch_unwind(|| {
        let _ = t(input);
    });
    assert!(
        r.is_ok(),
        "{op} panicked on {:?}",
        String::from_utf8_lossy(&input[..input.len().min(300)])
    );
}

#[test]
fn truncations_and_byte_mutations() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let mut runs = 0u64;
    for (op, t, bytes) in corpus() {
        for cut in 0..bytes.len() {
            must_not_panic(op, t, &bytes[..cut]);
            runs += 1;
        }
        for _ in 0..300 {
            let mut m = bytes.clone();
            for _ in 0..rng.random_range(1..4) {
                let i = rng.random_range(0..m.len());
                match rng.random_range(0..3) {
                    0 => m[i] = rng.random(),
                    1 => {
                        m.remove(i);
                    }
                    _ => m.insert(i, rng.random()),
                }
            }
            must_not_panic(op, t, &m);
            runs += 1;
        }
    }
    eprintln!("truncations_and_byte_mutations: {runs} inputs, 0 panics");
    assert!(runs > 1000);
}

/// Replace the node at every path of `v` with `with`, calling `f` on each variant.
fn each_replacement(v: &Value, with: &Value, f: &mut dyn FnMut(Value)) {
    fn walk(root: &Value, path: &mut Vec<PathSeg>, with: &Value, f: &mut dyn FnMut(Value)) {
        let node = get(root, path);
        let mut replaced = root.clone();
        *get_mut(&mut replaced, path) = with.clone();
        f(replaced);
        let children: Vec<PathSeg> = match node {
            Value::Object(m) => m.keys().cloned().map(PathSeg::Key).collect(),
            Value::Array(a) => (0..a.len()).map(PathSeg::Index).collect(),
            _ => Vec::new(),
        };
        for c in children {
            path.push(c);
            walk(root, path, with, f);
            path.pop();
        }
    }
    walk(v, &mut Vec::new(), with, f);
}

#[derive(Clone)]
enum PathSeg {
    Key(String),
    Index(usize),
}

fn get<'a>(v: &'a Value, path: &[PathSeg]) -> &'a Value {
    path.iter().fold(v, |v, s| match s {
        PathSeg::Key(k) => &v[k.as_str()],
        PathSeg::Index(i) => &v[*i],
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &[PathSeg]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        PathSeg::Key(k) => &mut v[k.as_str()],
        PathSeg::Index(i) => &mut v[*i],
    })
}

#[test]
fn wrong_types_and_huge_numbers_at_every_node() {
    let deep = (0..200).fold(json!(1), |v, _| json!([v]));
    let hostile: Vec<Value> = vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(1e308),
        serde_json::from_str("18446744073709551616123").unwrap(),
        json!("2257455039610311973"),
        json!("\u{0000}\u{FFFF}"),
        json!([]),
        json!({}),
        deep,
    ];
    let mut runs = 0u64;
    for (op, t, bytes) in corpus() {
        let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        for h in &hostile {
            each_replacement(&v, h, &mut |variant| {
                must_not_panic(op, t, variant.to_string().as_bytes());
                runs += 1;
            });
        }
    }
    eprintln!("wrong_types_and_huge_numbers_at_every_node: {runs} inputs, 0 panics");
    assert!(runs > 100);
}

#[test]
fn deep_nesting_invalid_utf8_and_large_bodies() {
    let mut runs = 0u64;
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_data = format!(r#"{{"code":200,"data":{}}}"#, "{\"a\":".repeat(50_000));
    let invalid_utf8 =
        b"{\"code\":200,\"msg\":\"\xff\xfe\",\"data\":{\"orderId\":\"\xc3\x28\"}}".to_vec();
    let large_array = format!(
        r#"{{"code":200,"data":{{"cantPayOrderList":[{}1]}}}}"#,
        "1,".repeat(1_000_000)
    );
    let large_ws = format!("{}{{\"code\":200}}", " ".repeat(8 << 20));
    for op in all_operations() {
        for input in [
            deep_array.as_bytes(),
            deep_data.as_bytes(),
            &invalid_utf8,
            large_array.as_bytes(),
            large_ws.as_bytes(),
        ] {
            must_not_panic(op.id, op.transcode_response, input);
            runs += 1;
        }
        // Serde's recursion limit turns deep nesting into an error, not a stack overflow.
        assert!((op.transcode_response)(deep_array.as_bytes()).is_err());
    }
    eprintln!("deep_nesting_invalid_utf8_and_large_bodies: {runs} inputs, 0 panics");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for op in all_operations() {
            must_not_panic(op.id, op.transcode_response, &bytes);
        }
    }

    #[test]
    fn arbitrary_json(value in arb_json()) {
        let text = value.to_string();
        let wrapped = json!({"code": 200, "msg": "ok", "data": value}).to_string();
        for op in all_operations() {
            must_not_panic(op.id, op.transcode_response, text.as_bytes());
            must_not_panic(op.id, op.transcode_response, wrapped.as_bytes());
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("orderId".to_string()),
                    Just("data".to_string()),
                    Just("code".to_string()),
                    "[a-zA-Z]{1,8}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[tokio::test]
async fn client_keeps_a_bounded_prefix_of_a_bad_body() {
    let server = MockServer::start().await;
    let huge = format!(
        "{{\"code\":200,\"data\":{{\"orderId\":{}}}}}",
        "9".repeat(3 << 20)
    );
    server.reply(200, huge.clone());
    let client = pandapon::Client::new(&server.base_url, AccessKeyCredentials::new("k", "s", "u"));
    let err = client
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    let Error::Decode { body, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(body.bytes.len(), BODY_PREFIX_LIMIT);
    assert_eq!(body.total_len, huge.len());
    assert!(err.to_string().len() < 1000, "error message stays short");

    // Over the policy's limit: reading stops, a typed error says so, and it is not retried.
    let small = sourcing_runtime::Runtime::new(sourcing_runtime::AccessKeySigner::new(
        AccessKeyCredentials::new("k", "s", "u"),
    ))
    .with_policy(sourcing_runtime::RequestPolicy {
        max_response_bytes: 1 << 20,
        ..Default::default()
    });
    let limited = pandapon::Client::with_runtime(&server.base_url, small);
    server.reply(200, huge.clone());
    let err = limited
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                status: 200,
                limit: 1048576,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);

    // `send_raw()` callers see the real status and a body that fails with the typed marker, never a
    // made-up status.
    let marker = sourcing_runtime::BodyTooLarge {
        status: 200,
        limit: 1 << 20,
    };
    match limited.order_pay_url().order_id("1").send_raw().await {
        Err(progenitor_client::Error::ResponseBodyError(e)) => {
            assert_eq!(sourcing_runtime::BodyTooLarge::in_error(&e), Some(marker))
        }
        other => panic!("{other:?}"),
    }
    server.reply(503, "x".repeat(2 << 20));
    match limited.order_pay_url().order_id("1").send_raw().await {
        Err(progenitor_client::Error::UnexpectedResponse(r)) => {
            assert_eq!(r.status(), 503);
            assert_eq!(
                r.extensions().get::<sourcing_runtime::BodyTooLarge>(),
                Some(&sourcing_runtime::BodyTooLarge {
                    status: 503,
                    ..marker
                })
            );
        }
        other => panic!("{other:?}"),
    }

    server.reply(500, "x".repeat(5 << 20));
    let err = client
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    let Error::HttpStatus {
        body, status: 500, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(
        body.bytes.len() <= BODY_PREFIX_LIMIT + 64 * 1024,
        "{}",
        body.bytes.len()
    );
}

/// Hostile requests against the sandbox: every node of every published request body replaced by null, a
/// negative, a number beyond u64, deep nesting and an empty string. The sandbox answers each with 200 (the
/// schema allows it) or a 400 naming what is wrong — never a 5xx, a panic or a dropped connection.
#[tokio::test]
async fn sandbox_answers_hostile_requests_with_200_or_400() {
    let sandbox = sourcing_sandbox::Sandbox::start().await.unwrap();
    let runtime = sourcing_runtime::Runtime::new(sourcing_sandbox::SandboxSigner::new());
    let http = runtime.http_client();
    let deep = (0..64).fold(json!(1), |v, _| json!([v]));
    let hostile: Vec<Value> = vec![
        Value::Null,
        json!(-1),
        serde_json::from_str("18446744073709551616123").unwrap(),
        deep,
        json!(""),
    ];
    let (mut runs, mut refused) = (0u64, 0u64);
    for provider in sourcing_registry::providers() {
        for op in provider.operations.iter().filter(|o| o.has_body) {
            let Some(example) = op.examples_of(ExampleKind::Request).next() else {
                continue;
            };
            let mut v: Value = serde_json::from_str(example.json).unwrap();
            if let Value::Object(m) = &mut v {
                m.retain(|k, _| !["appKey", "appSecret", "sign"].contains(&k.as_str()));
            }
            let mut variants = Vec::new();
            for h in &hostile {
                each_replacement(&v, h, &mut |variant| variants.push(variant));
            }
            for variant in variants {
                let url = format!("{}{}", sandbox.base_url(provider.name), op.path);
                let mut request = http
                    .request(op.method.parse().unwrap(), url)
                    .header("content-type", "application/json")
                    .body(variant.to_string())
                    .build()
                    .unwrap();
                // A body that is not an object cannot carry Dajisaas's body credentials: sent unsigned.
                let _ = runtime.sign(&mut request, op);
                let response = http.execute(request).await.unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                assert!(
                    status == 200 || status == 400,
                    "{}::{} answered {status} to {variant}: {body}",
                    provider.name,
                    op.id
                );
                if status == 400 {
                    refused += 1;
                }
                runs += 1;
            }
        }
    }
    eprintln!(
        "sandbox_answers_hostile_requests_with_200_or_400: {runs} requests, {refused} refused with 400, 0 errors"
    );
    assert!(runs > 500, "{runs}");
}

/// A server that answers every request with `200`, a `Content-Length` of 100 and 11 bytes of body, then
/// closes the connection; it counts the requests it read.
async fn cut_off_body_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let answer = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"code\":200";
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (base, requests)
}

/// A body cut off before its declared length is a transport error, whichever way the body is read: a
/// payment reads it once, after the attempt (never retried: one request); a declared read reads it inside
/// the attempt, so the cut is retried like any transport failure.
#[tokio::test]
async fn a_body_cut_short_is_a_transport_error_and_only_reads_retry_it() {
    use std::sync::atomic::Ordering;
    let (base, requests) = cut_off_body_server().await;
    let client = pandapon::Client::with_runtime(&base, sourcing_tests::vector::runtime("u"));

    let err = client
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // The message names the cause, not only reqwest's "error decoding response body".
    assert!(
        err.to_string()
            .contains("end of file before message length reached"),
        "{err}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1, "a payment is sent once");

    let err = client
        .goods_detail()
        .body(pandapon::types::GoodsDetailRequest::builder().country(Some("en".to_string())))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1 + 3,
        "a read is tried max_attempts (3) times"
    );
}
