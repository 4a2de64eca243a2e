//! The sandbox's state, callbacks, served readings and money, through its HTTP API (signed by the
//! generated clients) and, for the 10,000-answer sweep, through the function that builds every answer.

use crate::server::{State, answer_body};
use crate::{Sandbox, SandboxConfig, credentials};
use serde_json::{Value, json};
use sourcing_runtime::{Operation, Provider};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn temp_state(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sourcing-sandbox-{name}-{}-{}",
        std::process::id(),
        crate::state::now_ms()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

fn pandapon_client(s: &Sandbox) -> pandapon::Client {
    pandapon::Client::new(&s.base_url("pandapon"), credentials::access_key())
}

fn pandapon_op(id: &str) -> &'static Operation {
    pandapon::operations::find(id).unwrap()
}

fn address() -> Value {
    json!({"fullName": "张三", "mobile": "18600000000", "phone": "0571", "postCode": "310000",
           "provinceText": "浙江省", "cityText": "杭州市", "areaText": "余杭区", "townText": "五常街道",
           "address": "文一西路", "districtCode": "330110"})
}

fn create_body(offer: &str, spec: &str, qty: i64) -> Value {
    json!({
        "flow": "general",
        "addressParam": address(),
        "cargoParamList": [{"offerId": offer.parse::<i64>().unwrap(), "specId": spec, "quantity": qty}],
    })
}

async fn create(s: &Sandbox, offer: &str, spec: &str) -> String {
    let created = pandapon_client(s)
        .call_operation(
            pandapon_op("order_create"),
            &[],
            Some(&create_body(offer, spec, 2)),
        )
        .await
        .unwrap();
    created["orderId"].as_str().unwrap().to_string()
}

async fn detail(s: &Sandbox, id: &str) -> Value {
    pandapon_client(s)
        .call_operation(
            pandapon_op("order_detail"),
            &[],
            Some(&json!({"webSite": "1688", "orderId": id})),
        )
        .await
        .unwrap()
}

/// A state file keeps orders across restarts; ids are 19 digits and differ between providers.
#[tokio::test]
async fn orders_survive_a_restart_on_the_state_file() {
    let path = temp_state("restart");
    let config = || SandboxConfig {
        state_file: Some(path.clone()),
        ..SandboxConfig::default()
    };
    let first = Sandbox::start_with(config()).await.unwrap();
    let id = create(&first, "610947572360", "x").await;
    let xportcn = first.seed_order_for("xportcn", None, None).unwrap();
    assert_eq!(id.len(), 19);
    assert_eq!(xportcn.len(), 19);
    assert_ne!(id[..10], xportcn[..10], "the provider digit differs");
    drop(first);

    let second = Sandbox::start_with(config()).await.unwrap();
    assert_eq!(
        detail(&second, &id).await["baseInfo"]["status"],
        "waitbuyerpay"
    );
    pandapon_client(&second)
        .order_pay_url()
        .order_id(&id)
        .send()
        .await
        .unwrap();
    let read = detail(&second, &id).await;
    assert_eq!(
        read["baseInfo"],
        json!({"id": id, "status": "waitsellersend"})
    );
    assert_eq!(read["status"], "WAITING_FOR_SENT");
    second.ship_order("pandapon", &id).unwrap();
    assert_eq!(
        detail(&second, &id).await["baseInfo"]["status"],
        "waitbuyerreceive"
    );
    assert!(second.ship_order("pandapon", &id).is_err(), "shipped once");
    let unpaid = second.seed_order_for("pandapon", None, None).unwrap();
    let why = second.ship_order("pandapon", &unpaid).unwrap_err();
    assert!(why.contains("not paid"), "{why}");
    // Every request was counted, per provider and operation, and listed over HTTP.
    let counts: Value = reqwest::get(format!("http://{}{}", second.addr(), crate::REQUESTS_PATH))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["pandapon"]["order_create"], 1, "{counts}");
    assert_eq!(counts["pandapon"]["order_pay_url"], 1, "{counts}");
    assert_eq!(counts["pandapon"]["order_detail"], 3, "{counts}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// A receiver on loopback that answers the statuses of `script` in turn (then 200), recording bodies.
async fn receiver(script: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script.into_iter()));
    let seen = got.clone();
    let app = axum::Router::new().fallback(move |body: String| {
        let seen = seen.clone();
        let script = script.clone();
        async move {
            seen.lock().unwrap().push(body);
            let status = script.lock().unwrap().next().unwrap_or(200);
            axum::http::StatusCode::from_u16(status).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// Wait until nothing is owed (bounded; a poll, not a timing assertion).
async fn drained(s: &Sandbox) {
    for _ in 0..250 {
        s.settle(Duration::from_secs(5)).await;
        if s.state().unwrap().pending.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("callbacks still owed: {:?}", s.state().unwrap().pending);
}

/// Create and pay push ORDER_CREATE and ORDER_PAY_SUCCESS; a refused push is sent again, the same body.
#[tokio::test]
async fn callbacks_are_pushed_and_retried_until_accepted() {
    let (url, got) = receiver(vec![500, 503]).await;
    let sandbox = Sandbox::start_with(SandboxConfig {
        callback_urls: [("pandapon".to_string(), url)].into(),
        callback_retries: vec![Duration::from_millis(5); 5],
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let id = create(&sandbox, "610947572360", "x").await;
    drained(&sandbox).await;
    pandapon_client(&sandbox)
        .order_pay_url()
        .order_id(&id)
        .send()
        .await
        .unwrap();
    drained(&sandbox).await;
    let bodies = got.lock().unwrap().clone();
    assert_eq!(
        bodies.len(),
        4,
        "two refusals, then each delivered: {bodies:?}"
    );
    assert_eq!(bodies[0], bodies[2], "a retry repeats the body");
    let format = sourcing_webhooks::formats::pandapon();
    let kinds: Vec<(String, Option<String>)> = bodies[2..]
        .iter()
        .map(|b| {
            let cb = format.parse(b.as_bytes()).unwrap();
            assert_eq!(cb.order_id(), Some(id.as_str()));
            (cb.kind(), cb.order_status())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("ORDER_CREATE".into(), Some("WAITING_FOR_PAYMENT".into())),
            ("ORDER_PAY_SUCCESS".into(), Some("WAITING_FOR_SENT".into())),
        ]
    );
}

/// Dajisaas' push is the signed form the receiver verifies with the sandbox's app secret.
#[tokio::test]
async fn dajisaas_callbacks_are_signed_with_the_app_secret() {
    let (url, got) = receiver(vec![]).await;
    let sandbox = Sandbox::start_with(SandboxConfig {
        callback_urls: [("dajisaas".to_string(), url)].into(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let id = sandbox
        .seed_order_for("dajisaas", None, Some(1234))
        .unwrap();
    assert!(sandbox.cancel_order(&id));
    drained(&sandbox).await;
    let body = got.lock().unwrap()[0].clone();
    let format = sourcing_webhooks::formats::dajisaas(sourcing_webhooks::DajisaasVerifier::new(
        credentials::APP_SECRET,
    ));
    let cb = format.parse(body.as_bytes()).unwrap();
    assert_eq!(cb.order_id(), Some(id.as_str()));
    assert_eq!(cb.order_status().as_deref(), Some("TRADE_CLOSED"));
}

/// Search hits carry offer ids; a product's SKUs are stable; a preview answers exactly the lines asked,
/// its total their sum plus freight.
#[tokio::test]
async fn readings_are_served_and_previews_add_up() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = pandapon_client(&sandbox);
    let hits = client
        .call_operation(
            pandapon_op("v2_goods_keyword_search"),
            &[],
            Some(&json!({"keyword": "T恤", "beginPage": 1, "pageSize": 5, "country": "en"})),
        )
        .await
        .unwrap();
    let hits = hits["data"].as_array().unwrap();
    assert!(!hits.is_empty());
    for hit in hits {
        assert_eq!(
            hit["offerId"].as_u64().unwrap().to_string().len(),
            12,
            "{hit}"
        );
    }
    let product = |offer: u64| {
        let client = &client;
        async move {
            client
                .call_operation(
                    pandapon_op("goods_detail"),
                    &[],
                    Some(&json!({"offerId": offer})),
                )
                .await
                .unwrap()
        }
    };
    let a = product(610947572360).await;
    assert_eq!(a, product(610947572360).await, "stable");
    assert_eq!(a["offerId"], 610947572360u64);
    let skus = a["productSkuInfos"].as_array().unwrap();
    assert!((2..=4).contains(&skus.len()));
    let sku = &skus[0];
    assert_eq!(sku["skuId"].as_u64().unwrap().to_string().len(), 13);
    assert_eq!(sku["specId"].as_str().unwrap().len(), 32);
    let price = sku["price"].as_str().unwrap();
    assert_eq!(price.split_once('.').unwrap().1.len(), 2, "{price}");

    let dajisaas = dajisaas::Client::new(&sandbox.base_url("dajisaas"), credentials::app_key());
    let spec = sku["specId"].as_str().unwrap();
    let body = json!({
        "flow": "general",
        "addressParam": address(),
        "cargoParamList": [
            {"offerId": 610947572360u64, "specId": spec, "quantity": 3},
            {"offerId": 620000000001u64, "specId": "abc", "quantity": 1},
        ],
    });
    let preview = dajisaas
        .call_operation(
            dajisaas::operations::find("order_preview").unwrap(),
            &[],
            Some(&body),
        )
        .await
        .unwrap();
    let entries = preview["orderPreviewResuslt"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{preview}");
    let e = &entries[0];
    let lines = e["cargoList"].as_array().unwrap();
    let offers: Vec<u64> = lines
        .iter()
        .map(|l| l["offerId"].as_u64().unwrap())
        .collect();
    assert_eq!(
        offers,
        [610947572360, 620000000001],
        "only the offers asked"
    );
    let fen = |v: &Value| (v.as_f64().unwrap() * 100.0).round() as i64;
    let goods: i64 = lines.iter().map(|l| fen(&l["amount"])).sum();
    assert_eq!(
        fen(&lines[0]["amount"]),
        3 * fen(&lines[0]["finalUnitPrice"])
    );
    assert_eq!(
        lines[0]["finalUnitPrice"].to_string(),
        price.trim_end_matches('0').trim_end_matches('.'),
        "the SKU's price"
    );
    assert_eq!(e["sumPaymentNoCarriage"], goods);
    assert_eq!(
        e["sumPayment"].as_i64().unwrap(),
        goods + e["sumCarriage"].as_i64().unwrap()
    );
}

/// Every number in `v` whose text has a fraction has at most two decimals (paths of the others).
fn inexact(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            let text = n.to_string();
            if text.split_once('.').is_some_and(|(_, d)| d.len() > 2) || text.contains('e') {
                out.push(format!("{path}={text}"));
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| inexact(x, &format!("{path}/{i}"), out)),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| inexact(x, &format!("{path}/{k}"), out)),
        _ => {}
    }
}

fn order_ops() -> Vec<(&'static Provider, &'static Operation)> {
    sourcing_registry::providers()
        .iter()
        .flat_map(|p| p.operations.iter().map(move |o| (*p, *o)))
        .collect()
}

/// 10,000 generated answers — orders created, previewed, read, paid, and every other operation with varied
/// requests — carry no amount with more than two decimals.
#[test]
fn ten_thousand_answers_carry_no_inexact_amount() {
    let state = State::new(SandboxConfig::default(), Vec::new());
    let ops = order_ops();
    let find = |p: &str, o: &str| {
        ops.iter()
            .copied()
            .find(|(pp, oo)| pp.name == p && oo.id == o)
            .unwrap()
    };
    let (pp, create_op) = find("pandapon", "order_create");
    let (_, detail_op) = find("pandapon", "order_detail");
    let (_, pay_op) = find("pandapon", "order_pay_url");
    let (dj, dj_preview) = find("dajisaas", "order_preview");
    let (xp, xp_preview) = find("xportcn", "ka_order_preview");
    let mut bad = Vec::new();
    let mut check = |label: &str, v: Value| {
        let mut found = Vec::new();
        inexact(&v, "", &mut found);
        bad.extend(found.into_iter().map(|f| format!("{label}: {f}")));
    };
    for i in 0..10_000u64 {
        let offer = (600_000_000_000 + i * 7919).to_string();
        let lines = json!({"cargoParamList": [
            {"offerId": offer, "specId": format!("{i:032x}"), "quantity": 1 + i % 7},
            {"offerId": "610947572360", "specId": "x", "quantity": 1 + i % 3},
        ]});
        let answer = match i % 5 {
            0 => {
                let created = answer_body(&state, pp, create_op, &[], Some(&lines)).unwrap();
                let id = created["data"]["orderId"].as_str().unwrap().to_string();
                let read = json!({"webSite": "1688", "orderId": id});
                check(
                    "order_detail",
                    answer_body(&state, pp, detail_op, &[], Some(&read)).unwrap(),
                );
                let pay = [("orderId".to_string(), id)];
                check(
                    "order_pay_url",
                    answer_body(&state, pp, pay_op, &pay, None).unwrap(),
                );
                created
            }
            1 => answer_body(&state, dj, dj_preview, &[], Some(&lines)).unwrap(),
            2 => answer_body(&state, xp, xp_preview, &[], Some(&lines)).unwrap(),
            _ => {
                let (p, op) = ops[(i as usize * 31) % ops.len()];
                let body =
                    json!({"keyword": format!("k{i}"), "offerId": offer, "pageSize": i % 50});
                answer_body(&state, p, op, &[("q".into(), i.to_string())], Some(&body)).unwrap()
            }
        };
        check(&format!("request {i}"), answer);
    }
    assert!(
        bad.is_empty(),
        "{} inexact amounts, e.g. {:?}",
        bad.len(),
        &bad[..bad.len().min(10)]
    );
}

/// Every operation's answer (with the served readings and the order flows) still validates against its
/// response schema: the published request example (or a generated body) is sent, the orders it names are
/// seeded first.
#[test]
fn every_answer_keeps_to_its_response_schema() {
    use sourcing_runtime::ExampleKind;
    let state = State::new(SandboxConfig::default(), Vec::new());
    let mut refused = Vec::new();
    for (p, op) in order_ops() {
        let Some(compiled) = crate::schema::compiled(op.response_schema) else {
            continue;
        };
        let body = op.has_body.then(|| {
            op.examples_of(ExampleKind::Request)
                .find_map(|e| serde_json::from_str::<Value>(e.json).ok())
                .unwrap_or_else(|| {
                    let schema: Value = serde_json::from_str(op.input_schema).unwrap();
                    crate::generate::generate(&schema, &schema, 1)
                })
        });
        for key in ["orderId"] {
            if let Some(id) = body
                .as_ref()
                .and_then(|b| b.get(key))
                .and_then(crate::catalogue::id_text)
            {
                state.store.insert(p.name, &id, 100, 0).unwrap();
            }
        }
        for id in body
            .as_ref()
            .and_then(|b| b.get("orderIds"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(crate::catalogue::id_text)
        {
            state.store.insert(p.name, &id, 100, 0).unwrap();
        }
        let answer = answer_body(&state, p, op, &[], body.as_ref()).unwrap();
        if !compiled.validator.is_valid(&answer) {
            refused.push(format!("{}::{}: {answer}", p.name, op.id));
        }
    }
    assert!(refused.is_empty(), "{refused:#?}");
}
