//! `/metrics` in the Prometheus text format (0.0.4), written by hand: counters kept in this process, gauges
//! read from the store at each scrape (so every instance on one Postgres reports the same database).

use sourcing_ledger::{OrderState, Store};
use sourcing_webhooks::listener::ConnectionStats;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

/// Counters by name and label set, e.g. `("sourcing_callbacks_refused_total", [("provider","xportcn"),
/// ("reason","bad_request")])`.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, u64>>,
    histograms: Mutex<BTreeMap<Key, Histogram>>,
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One latency histogram: cumulative counts per bucket, sum and count.
#[derive(Clone, Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Help text of every histogram.
const HISTOGRAMS: &[(&str, &str)] = &[
    (
        "sourcing_inbox_handler_seconds",
        "Time the order handler took on an inbox message, by provider",
    ),
    (
        "sourcing_vendor_call_seconds",
        "Vendor calls made by this process (reconcile rounds, console actions) as their caller waited for \
         them (rate-budget waits and retries included), by provider and operation",
    ),
];

/// A counter's name and its labels.
type Key = (&'static str, Vec<(&'static str, String)>);

/// Help text of every counter, the one list of their names.
const COUNTERS: &[(&str, &str)] = &[
    (
        "sourcing_callbacks_received_total",
        "Callback requests received, by provider",
    ),
    (
        "sourcing_callbacks_stored_total",
        "Callbacks stored in the inbox (new messages), by provider",
    ),
    (
        "sourcing_callbacks_duplicate_total",
        "Redeliveries of a stored callback, acknowledged without storing, by provider",
    ),
    (
        "sourcing_callbacks_refused_total",
        "Callback requests answered with an error, by provider and reason",
    ),
    (
        "sourcing_reconcile_rounds_total",
        "Scheduled reconcile rounds, by outcome (ran, skipped: another instance holds the round, failed)",
    ),
    (
        "sourcing_reconcile_orders_total",
        "Orders read by scheduled and console reconciles, by provider and resulting state",
    ),
    (
        "sourcing_inbox_handled_total",
        "Inbox handler runs in this process, by provider and outcome (ok, failed)",
    ),
    (
        "sourcing_console_actions_total",
        "Operator console actions, by action and outcome",
    ),
    (
        "sourcing_vendor_calls_total",
        "Vendor calls made by this process, by provider, operation and outcome (ok, not_sent, transport, \
         throttled, http_status, api_error, undecodable, too_large, partial_failure)",
    ),
];

impl Metrics {
    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], n: u64) {
        debug_assert!(COUNTERS.iter().any(|(c, _)| *c == name), "{name}");
        let key = (
            name,
            labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        );
        *self
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default() += n;
    }

    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1);
    }

    /// Records one duration in the histogram `name`.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], seconds: f64) {
        debug_assert!(HISTOGRAMS.iter().any(|(h, _)| *h == name), "{name}");
        let key = (
            name,
            labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        );
        let mut histograms = self
            .histograms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let h = histograms.entry(key).or_default();
        for (bucket, bound) in h.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    fn render_histograms(&self, out: &mut String) {
        let histograms = self
            .histograms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (name, help) in HISTOGRAMS {
            header(out, name, help, "histogram");
            for ((_, labels), h) in histograms.iter().filter(|((n, _), _)| n == name) {
                let label_text: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                let prefix = label_text.join(",");
                let sep = if prefix.is_empty() { "" } else { "," };
                for (count, bound) in h.buckets.iter().zip(BUCKETS) {
                    let _ = writeln!(out, "{name}_bucket{{{prefix}{sep}le=\"{bound}\"}} {count}");
                }
                let _ = writeln!(out, "{name}_bucket{{{prefix}{sep}le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "{name}_sum{{{prefix}}} {}", h.sum);
                let _ = writeln!(out, "{name}_count{{{prefix}}} {}", h.count);
            }
        }
    }

    /// The whole exposition: counters, connection gauges, and the store's gauges (or `sourcing_store_up 0`).
    pub async fn render(
        &self,
        store: &Store,
        connections: &ConnectionStats,
        ready: bool,
    ) -> String {
        let mut out = String::new();
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (name, help) in COUNTERS {
            header(&mut out, name, help, "counter");
            for ((_, labels), value) in counters.iter().filter(|((n, _), _)| n == name) {
                sample(&mut out, name, labels, *value as i64);
            }
        }
        self.render_histograms(&mut out);
        gauge(
            &mut out,
            "sourcing_ready",
            "1 when /readyz passes",
            i64::from(ready),
        );
        gauge(
            &mut out,
            "sourcing_http_connections_open",
            "Connections open now",
            connections.open.load(Ordering::Relaxed) as i64,
        );
        header(
            &mut out,
            "sourcing_http_idle_closed_total",
            "Connections closed by the idle timeout",
            "counter",
        );
        sample::<&str, &str>(
            &mut out,
            "sourcing_http_idle_closed_total",
            &[],
            connections.idle_closed.load(Ordering::Relaxed) as i64,
        );
        match store_gauges(store).await {
            Ok(text) => {
                gauge(&mut out, "sourcing_store_up", "1 when the store answers", 1);
                out.push_str(&text);
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the store did not answer");
                gauge(&mut out, "sourcing_store_up", "1 when the store answers", 0);
            }
        }
        out
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample<K: AsRef<str>, V: AsRef<str>>(
    out: &mut String,
    name: &str,
    labels: &[(K, V)],
    value: i64,
) {
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", k.as_ref(), escape(v.as_ref())))
        .collect();
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{}}} {value}", labels.join(","));
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    header(out, name, help, "gauge");
    sample::<&str, &str>(out, name, &[], value);
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Inbox depth and age, dead letters, ledger orders by state and those needing a person.
async fn store_gauges(store: &Store) -> Result<String, sourcing_ledger::StoreError> {
    let mut out = String::new();
    inbox_gauges(store, &mut out).await?;
    ledger_gauges(store, &mut out).await?;
    Ok(out)
}

/// Inbox depth and the oldest pending message's age, by provider, and the dead letters.
async fn inbox_gauges(store: &Store, out: &mut String) -> Result<(), sourcing_ledger::StoreError> {
    // Pending and dead only, provider by provider: seeks on the inbox's (provider, state, due) index rather
    // than a scan of every message ever handled.
    let providers: Vec<_> = sourcing_registry::callback_formats()
        .map(|(name, _)| name.into())
        .collect();
    let placeholders: Vec<String> = (1..=providers.len()).map(|i| format!("${i}")).collect();
    let inbox = store
        .query(
            &format!(
                "SELECT provider, state, COUNT(*), MIN(received_at_ms) FROM inbox_messages \
                 WHERE provider IN ({}) AND state IN ('pending', 'dead') \
                 GROUP BY provider, state ORDER BY provider, state",
                placeholders.join(", ")
            ),
            &providers,
        )
        .await?;
    header(
        out,
        "sourcing_inbox_messages",
        "Inbox messages waiting, by provider and state (pending: the depth; dead: dead letters)",
        "gauge",
    );
    let mut oldest = BTreeMap::new();
    for row in &inbox {
        let (provider, state) = (row.text(0)?, row.text(1)?);
        sample(
            out,
            "sourcing_inbox_messages",
            &[("provider", provider.as_str()), ("state", state.as_str())],
            row.int(2)?,
        );
        if state == "pending"
            && let Some(at) = row.opt_int(3)?
        {
            oldest.insert(provider, at);
        }
    }
    header(
        out,
        "sourcing_inbox_oldest_pending_age_seconds",
        "Age of the oldest pending inbox message, by provider",
        "gauge",
    );
    for (provider, at) in &oldest {
        sample(
            out,
            "sourcing_inbox_oldest_pending_age_seconds",
            &[("provider", provider.as_str())],
            (now_ms() - at).max(0) / 1000,
        );
    }
    let dead: i64 = inbox
        .iter()
        .filter(|r| r.text(1).is_ok_and(|s| s == "dead"))
        .map(|r| r.int(2).unwrap_or(0))
        .sum();
    gauge(
        out,
        "sourcing_inbox_dead_letters",
        "Dead letters waiting for a person",
        dead,
    );
    Ok(())
}

/// Ledger orders by state, and those needing a person.
async fn ledger_gauges(store: &Store, out: &mut String) -> Result<(), sourcing_ledger::StoreError> {
    // By state only: the state index answers it without reading the table (by provider too would scan
    // every order, seconds at a million).
    let orders = store
        .query(
            "SELECT state, COUNT(*) FROM ledger_orders GROUP BY state ORDER BY state",
            &[],
        )
        .await?;
    header(
        out,
        "sourcing_ledger_orders",
        "Ledger orders by state",
        "gauge",
    );
    for row in &orders {
        let state = row.text(0)?;
        let state = OrderState::from_name(&state).map_or(state.clone(), |s| s.name().into());
        sample(
            out,
            "sourcing_ledger_orders",
            &[("state", &state)],
            row.int(1)?,
        );
    }
    let needs = store
        .query(
            "SELECT COUNT(*) FROM ledger_orders WHERE needs_person IS NOT NULL",
            &[],
        )
        .await?;
    let needs = needs.first().map_or(Ok(0), |r| r.int(0))?;
    gauge(
        out,
        "sourcing_ledger_orders_needing_person",
        "Orders marked as needing a person",
        needs,
    );
    Ok(())
}
