//! The storage layer on both backends: migrations, append-only history, typed refusals.

use super::support::urls;
use sourcing_ledger::{Store, StoreError, Value, migrations};

#[tokio::test]
async fn a_database_from_a_newer_binary_is_refused() {
    for url in urls().await {
        let store = Store::open(&url).await.unwrap();
        let newer = migrations::latest_version() + 1;
        store
            .execute(
                "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
                &[
                    Value::Int(newer),
                    "from a newer binary".into(),
                    Value::Int(0),
                ],
            )
            .await
            .unwrap();
        drop(store);
        let err = Store::open(&url).await.unwrap_err();
        assert!(
            matches!(err, StoreError::DatabaseNewer { database, .. } if database == newer),
            "{url}: {err:?}"
        );
    }
}

#[tokio::test]
async fn the_history_is_append_only() {
    for url in urls().await {
        let ledger = super::support::ledger(&url).await;
        let report = sourcing_ledger::CallbackReport {
            provider: sourcing_buy::Provider::Pandapon.name(),
            order_id: "3305075341149134290",
            status: Some("WAITING_FOR_PAYMENT"),
            message_type: "ORDER_CREATE",
            body: "{}",
        };
        ledger.record_callback(&report).await.unwrap();
        for sql in [
            "UPDATE ledger_events SET kind = 'x'",
            "DELETE FROM ledger_events",
        ] {
            let err = ledger.store().execute(sql, &[]).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{url}: {err}");
        }
    }
}

#[tokio::test]
async fn values_round_trip_exactly() {
    for url in urls().await {
        let store = Store::open(&url).await.unwrap();
        store
            .execute("CREATE TABLE t (i BIGINT, s TEXT, b BYTEA, n TEXT)", &[])
            .await
            .unwrap();
        let values = vec![
            Value::Int(i64::MAX),
            "3305075341149134260 订单".into(),
            Value::Bytes(vec![0, 159, 255]),
            Value::Null,
        ];
        store
            .execute(
                "INSERT INTO t (i, s, b, n) VALUES ($1, $2, $3, $4)",
                &values,
            )
            .await
            .unwrap();
        let rows = store.query("SELECT i, s, b, n FROM t", &[]).await.unwrap();
        assert_eq!(rows[0].0, values, "{url}");
    }
}

#[tokio::test]
async fn urls_name_what_is_wrong() {
    let err = Store::open("sqlite:").await.unwrap_err();
    assert!(matches!(err, StoreError::Url { .. }), "{err:?}");
    let err = Store::open("sqlite:/nonexistent-dir/x/ledger.db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
}

#[tokio::test]
async fn a_postgres_password_never_shows() {
    // Nothing listens on port 1: the connection fails, and neither the error nor its Debug has the password.
    let err = Store::open("postgres://app:s3cret-pw@127.0.0.1:1/db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("app:***@127.0.0.1:1"), "{shown}");
    }
    if let Some(admin) = super::support::postgres_admin_url() {
        // Trust authentication takes any password: the open store's Debug does not show it.
        let with_password =
            admin.replacen("postgres://postgres@", "postgres://postgres:s3cret-pw@", 1);
        let store = Store::open(&with_password).await.unwrap();
        assert!(!format!("{store:?}").contains("s3cret-pw"));
    }
}
