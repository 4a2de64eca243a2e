//! Databases and buyers for the tests.

use sourcing_buy::{Address, Buyer, Flow, OrderDraft, OrderLine};
use sourcing_ledger::Ledger;
use sourcing_runtime::Runtime;
use sourcing_sandbox::{Sandbox, SandboxSigner};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh SQLite file's URL.
pub fn sqlite_url() -> String {
    let dir = std::env::temp_dir().join(unique("sourcing-ledger-it"));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite:{}", dir.join("ledger.db").display())
}

/// The Postgres to test on, if any: `SOURCING_TEST_POSTGRES_URL`. Without it the Postgres half of a test
/// is skipped with a printed reason, except in CI (`CI` set), where that is a failure.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("SOURCING_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but SOURCING_TEST_POSTGRES_URL is not: .ci/run must start Postgres")
        }
        _ => {
            eprintln!(
                "skipping the Postgres half: SOURCING_TEST_POSTGRES_URL is not set (eval \"$(.ci/postgres.sh start)\")"
            );
            None
        }
    }
}

/// A fresh, empty Postgres schema on the test server, as a URL whose connections use it.
pub async fn postgres_url() -> Option<String> {
    let admin = postgres_admin_url()?;
    fresh_schema(&admin).await
}

async fn fresh_schema(admin: &str) -> Option<String> {
    let schema = unique("t");
    // The store's own transactions can create a schema (CREATE DATABASE cannot run in one).
    let store = sourcing_ledger::Store::open(admin)
        .await
        .expect("open the test Postgres");
    store
        .execute(&format!("CREATE SCHEMA {schema}"), &[])
        .await
        .unwrap();
    let sep = if admin.contains('?') { '&' } else { '?' };
    Some(format!("{admin}{sep}options=-csearch_path%3D{schema}"))
}

/// Every backend to run a test on: a fresh SQLite file, and a fresh Postgres schema when available.
pub async fn urls() -> Vec<String> {
    let mut urls = vec![sqlite_url()];
    urls.extend(postgres_url().await);
    urls
}

pub async fn ledger(url: &str) -> std::sync::Arc<Ledger> {
    std::sync::Arc::new(
        Ledger::open(url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}")),
    )
}

pub fn buyer(sandbox: &Sandbox, provider: Flow, ledger: &std::sync::Arc<Ledger>) -> Buyer {
    let base = sandbox.base_url(provider.name());
    provider
        .buyer(&base, Runtime::new(SandboxSigner::new()))
        .with_journal(ledger.clone())
}

pub fn draft() -> OrderDraft {
    let mut address = Address::new("张三", "18888888888", "浙江省", "杭州市", "网商路699号");
    address.phone = Some("18888888888".into());
    address.post_code = Some("000000".into());
    address.district = Some("滨江区".into());
    address.town = Some("长河镇".into());
    address.district_code = Some("310107".into());
    let line = OrderLine::new("672991141190", "cd2b8c31408766f9fb089e74e2a6ac15", 2);
    let mut draft = OrderDraft::new(address, vec![line]);
    draft.message = Some("ledger test".into());
    draft.external_order_id = Some("T20240708002".into());
    draft
}

/// The kinds of an order's events, in order.
pub async fn kinds(ledger: &Ledger, order_id: &str) -> Vec<String> {
    let (_, events) = ledger.show(order_id, None).await.unwrap();
    events
        .into_iter()
        .map(|e| e.kind.name().to_string())
        .collect()
}
