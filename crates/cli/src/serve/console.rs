//! The operator console: server-rendered HTML, no JavaScript. Every value from the ledger or a vendor goes
//! through [`esc`]; every action is a `POST` form carrying the process's CSRF token (a page of this origin is
//! the only place to read it); a Content-Security-Policy forbids scripts altogether.
//!
//! Pages: `/` what needs attention (with the actions), `/orders` (filters, keyset pagination, newest first),
//! `/orders/{entry}` (an order's timeline with the raw answers and its callbacks), `/inbox`.

use super::App;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sourcing_ledger::{OrderState, Row, Store, Value};
use sourcing_webhooks::inbox::{InboxStore, Replay};
use std::fmt::Write;
use std::sync::Arc;

/// Rows per list page, and per attention section.
pub const PAGE: i64 = 50;

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A percent-encoded query value (for links carrying filters).
fn url_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}\
nav{background:#263238;padding:8px 16px}nav a{color:#fff;margin-right:16px;text-decoration:none}\
main{padding:8px 16px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;\
text-align:left;vertical-align:top}th{background:#eceff1}pre{white-space:pre-wrap;word-break:break-all;\
max-width:900px;margin:0;font-size:12px}.bad{color:#b71c1c}.note{color:#555}form.inline{display:inline}\
button{cursor:pointer}";

/// A whole page.
pub fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · sourcing</title>\
         <style>{STYLE}</style></head><body><nav><a href=\"/\">Attention</a><a href=\"/orders\">Orders</a>\
         <a href=\"/inbox\">Inbox</a><a href=\"/metrics\">Metrics</a></nav><main><h1>{t}</h1>{body}</main>\
         </body></html>",
        t = esc(title)
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

fn failure(status: StatusCode, what: &str) -> Response {
    let mut response = page("Error", &format!("<p class=\"bad\">{}</p>", esc(what)));
    *response.status_mut() = status;
    response
}

fn store_failed(e: impl std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "console: the store failed");
    failure(
        StatusCode::SERVICE_UNAVAILABLE,
        &format!("the store failed: {e}"),
    )
}

/// `YYYY-MM-DD HH:MM:SS` UTC of milliseconds since the epoch.
pub fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Milliseconds at 00:00 UTC of a `YYYY-MM-DD` date; `None` if malformed.
fn day_start_ms(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || date.len() != 10 {
        return None;
    }
    Some(crate::ledger::days_from_civil(y, m, d) * DAY_MS)
}

/// An order row as the console lists it.
pub struct OrderRow {
    entry_id: i64,
    provider: String,
    order_id: Option<String>,
    state: String,
    confirmed: bool,
    needs_person: Option<String>,
    external_order_id: Option<String>,
    amount: Option<String>,
    updated_at_ms: i64,
}

const ORDER_COLUMNS: &str = "entry_id, provider, order_id, state, confirmed, needs_person, \
                             external_order_id, amount, amount_unit, updated_at_ms";

impl OrderRow {
    fn from_row(row: &Row) -> Result<Self, sourcing_ledger::StoreError> {
        let amount = match (row.opt_text(7)?, row.opt_text(8)?) {
            (Some(v), Some(u)) => Some(format!("{v} {u}")),
            (Some(v), None) => Some(v),
            _ => None,
        };
        Ok(OrderRow {
            entry_id: row.int(0)?,
            provider: row.text(1)?,
            order_id: row.opt_text(2)?,
            state: row.text(3)?,
            confirmed: row.int(4)? != 0,
            needs_person: row.opt_text(5)?,
            external_order_id: row.opt_text(6)?,
            amount,
            updated_at_ms: row.int(9)?,
        })
    }
}

/// Orders matching `condition` (SQL over `ORDER_COLUMNS` with `$n` params), newest first.
pub async fn orders(
    store: &Store,
    condition: &str,
    params: &[Value],
    limit: i64,
) -> Result<Vec<OrderRow>, sourcing_ledger::StoreError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM ledger_orders WHERE {condition} ORDER BY entry_id DESC LIMIT {limit}"
    );
    let rows = store.query(&sql, params).await?;
    rows.iter().map(OrderRow::from_row).collect()
}

/// The SQL condition of a state filter (`unknown`, `reported`, `needs_person` or a state name).
fn state_condition(filter: &str, next_param: usize) -> Option<(String, Vec<Value>)> {
    match filter {
        "unknown" => {
            let names: Vec<Value> = OrderState::ALL
                .into_iter()
                .filter(|s| s.is_unknown())
                .map(|s| s.name().into())
                .collect();
            let marks: Vec<String> = (0..names.len())
                .map(|i| format!("${}", next_param + i))
                .collect();
            Some((format!("state IN ({})", marks.join(", ")), names))
        }
        "reported" => Some(("confirmed = 0 AND state <> 'merged'".into(), vec![])),
        "needs_person" => Some(("needs_person IS NOT NULL".into(), vec![])),
        name => OrderState::from_name(name)
            .map(|s| (format!("state = ${next_param}"), vec![s.name().into()])),
    }
}

fn csrf_field(app: &App) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&app.csrf)
    )
}

fn reconcile_button(app: &App, entry_id: i64) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"/orders/{entry_id}/reconcile\">{}\
         <button type=\"submit\" id=\"reconcile-{entry_id}\">Reconcile this order</button></form>",
        csrf_field(app)
    )
}

fn handled_form(app: &App, entry_id: i64) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"/orders/{entry_id}/handled\">{}\
         <input name=\"who\" placeholder=\"who\" required maxlength=\"100\" size=\"8\" id=\"who-{entry_id}\"> \
         <input name=\"note\" placeholder=\"what was done\" required maxlength=\"500\" id=\"note-{entry_id}\"> \
         <button type=\"submit\" id=\"handled-{entry_id}\">Mark handled</button></form>",
        csrf_field(app)
    )
}

fn replay_button(app: &App, id: i64) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"/inbox/{id}/replay\">{}\
         <button type=\"submit\" id=\"replay-{id}\">Replay this dead letter</button></form>",
        csrf_field(app)
    )
}

fn orders_table(app: &App, rows: &[OrderRow], actions: bool) -> String {
    if rows.is_empty() {
        return "<p class=\"note\">None.</p>".into();
    }
    let mut out = String::from(
        "<table><tr><th>Entry</th><th>Provider</th><th>Order id</th><th>State</th><th>Amount</th>\
         <th>Needs a person because</th><th>Updated (UTC)</th>",
    );
    out.push_str(if actions {
        "<th>Action</th></tr>"
    } else {
        "</tr>"
    });
    for r in rows {
        let order_id = r
            .order_id
            .as_deref()
            .map(esc)
            .or_else(|| {
                r.external_order_id
                    .as_deref()
                    .map(|x| format!("(none; our number {})", esc(x)))
            })
            .unwrap_or_else(|| "(none)".into());
        let state = if r.confirmed {
            esc(&r.state)
        } else {
            format!("{} <span class=\"note\">(reported)</span>", esc(&r.state))
        };
        let _ = write!(
            out,
            "<tr><td><a href=\"/orders/{id}\">{id}</a></td><td>{}</td><td>{order_id}</td><td>{state}</td>\
             <td>{}</td><td>{}</td><td>{}</td>",
            esc(&r.provider),
            esc(r.amount.as_deref().unwrap_or("")),
            esc(r.needs_person.as_deref().unwrap_or("")),
            time(r.updated_at_ms),
            id = r.entry_id,
        );
        if actions {
            let handled = match r.needs_person {
                Some(_) => handled_form(app, r.entry_id),
                None => String::new(),
            };
            let _ = write!(
                out,
                "<td>{} {handled}</td>",
                reconcile_button(app, r.entry_id)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

/// An inbox message row as the console lists it.
pub struct MessageRow {
    id: i64,
    provider: String,
    kind: String,
    order_id: Option<String>,
    state: String,
    attempts: i64,
    deliveries: i64,
    received_at_ms: i64,
    last_error: Option<String>,
}

const MESSAGE_COLUMNS: &str =
    "id, provider, kind, order_id, state, attempts, deliveries, received_at_ms, last_error";

/// Inbox messages matching `condition` (SQL over `MESSAGE_COLUMNS` with `$n` params), newest first.
pub async fn messages(
    store: &Store,
    condition: &str,
    params: &[Value],
    limit: i64,
) -> Result<Vec<MessageRow>, sourcing_ledger::StoreError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM inbox_messages WHERE {condition} ORDER BY id DESC LIMIT {limit}"
    );
    let rows = store.query(&sql, params).await?;
    rows.iter()
        .map(|row| {
            Ok(MessageRow {
                id: row.int(0)?,
                provider: row.text(1)?,
                kind: row.text(2)?,
                order_id: row.opt_text(3)?,
                state: row.text(4)?,
                attempts: row.int(5)?,
                deliveries: row.int(6)?,
                received_at_ms: row.int(7)?,
                last_error: row.opt_text(8)?,
            })
        })
        .collect()
}

fn messages_table(app: &App, rows: &[MessageRow]) -> String {
    if rows.is_empty() {
        return "<p class=\"note\">None.</p>".into();
    }
    let mut out = String::from(
        "<table><tr><th>Id</th><th>Provider</th><th>Kind</th><th>Order id</th><th>State</th>\
         <th>Attempts</th><th>Deliveries</th><th>Received (UTC)</th><th>Last error</th><th>Action</th></tr>",
    );
    for m in rows {
        let action = if m.state == "dead" {
            replay_button(app, m.id)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<tr id=\"message-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td><pre>{}</pre></td><td>{action}</td></tr>",
            m.id,
            m.id,
            esc(&m.provider),
            esc(&m.kind),
            esc(m.order_id.as_deref().unwrap_or("")),
            esc(&m.state),
            m.attempts,
            m.deliveries,
            time(m.received_at_ms),
            esc(m.last_error.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</table>");
    out
}

/// `GET /`: what needs a person.
pub async fn attention(State(app): State<Arc<App>>) -> Response {
    match attention_body(&app).await {
        Ok(body) => page("Needs attention", &body),
        Err(e) => store_failed(e),
    }
}

/// The attention page's sections: filter, title, note.
const ATTENTION: [(&str, &str, &str); 3] = [
    (
        "unknown",
        "Unknown outcomes",
        "A step was sent and its answer never came: never retried, settled by reading the order.",
    ),
    (
        "needs_person",
        "Needs a person",
        "Reconcile could not settle these: the reason is given.",
    ),
    (
        "reported",
        "Reported, not confirmed",
        "A callback reported the state; no read has confirmed it yet.",
    ),
];

/// What the attention page lists: the orders of each `ATTENTION` section and the dead letters.
pub struct AttentionLists {
    /// The orders of each section, in `ATTENTION`'s order.
    pub sections: Vec<Vec<OrderRow>>,
    /// The callback inbox's dead letters.
    pub dead: Vec<MessageRow>,
}

/// The attention page's queries (without its charts, [`charts`]); public for the scale bench.
pub async fn attention_lists(store: &Store) -> Result<AttentionLists, sourcing_ledger::StoreError> {
    // Each order once, in the first section it belongs to (its reason column tells the rest).
    let mut shown = std::collections::HashSet::new();
    let mut sections = Vec::with_capacity(ATTENTION.len());
    for (filter, _, _) in ATTENTION {
        let (condition, params) = state_condition(filter, 1).unwrap_or_default();
        let mut rows = orders(store, &condition, &params, PAGE).await?;
        rows.retain(|r| shown.insert(r.entry_id));
        sections.push(rows);
    }
    let dead = messages(store, "state = 'dead'", &[], PAGE).await?;
    Ok(AttentionLists { sections, dead })
}

async fn attention_body(app: &App) -> Result<String, sourcing_ledger::StoreError> {
    let store = app.reader.store();
    let mut body = String::new();
    if let Some(flash) = app.take_flash() {
        let _ = write!(body, "<p id=\"flash\">{}</p>", esc(&flash));
    }
    let lists = attention_lists(store).await?;
    for ((filter, title, note), rows) in ATTENTION.iter().zip(&lists.sections) {
        let _ = write!(
            body,
            "<section id=\"{filter}\"><h2>{title} ({}{})</h2><p class=\"note\">{note}</p>{}</section>",
            rows.len(),
            if rows.len() as i64 == PAGE { "+" } else { "" },
            orders_table(app, rows, true),
        );
    }
    let dead = &lists.dead;
    let _ = write!(
        body,
        "<section id=\"dead\"><h2>Dead letters ({})</h2><p class=\"note\">Callbacks whose handler failed \
         past its last attempt. Replaying hands one to the handler again.</p>{}</section>",
        dead.len(),
        messages_table(app, dead)
    );
    body.push_str(&app.charts());
    Ok(body)
}

/// One chart of the attention page: what it counts per provider per day.
struct Chart {
    id: &'static str,
    title: &'static str,
    /// Table, its time column (ms), and an extra condition.
    table: &'static str,
    time: &'static str,
    condition: &'static str,
}

const CHARTS: [Chart; 3] = [
    Chart {
        id: "chart-orders",
        title: "Orders per provider per day (by creation)",
        table: "ledger_orders",
        time: "created_at_ms",
        condition: "1 = 1",
    },
    Chart {
        id: "chart-callbacks",
        title: "Callbacks stored per provider per day",
        table: "inbox_messages",
        time: "received_at_ms",
        condition: "1 = 1",
    },
    Chart {
        id: "chart-dead",
        title: "Callbacks now dead letters, per provider per day received",
        table: "inbox_messages",
        time: "received_at_ms",
        condition: "state = 'dead'",
    },
];

/// Days a chart covers.
const DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;

/// The attention page's charts (last `DAYS` days, UTC), as server-rendered SVG. They count over whole
/// tables, so `serve` renders them in the background (`App::refresh_charts`), not per page load.
pub async fn charts(store: &Store) -> Result<String, sourcing_ledger::StoreError> {
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
        / DAY_MS;
    let first = today - DAYS + 1;
    let providers: Vec<&str> = sourcing_registry::flows()
        .into_iter()
        .map(|p| p.name())
        .collect();
    let mut out = String::new();
    for chart in &CHARTS {
        // The day first: grouped by provider first, SQLite walks the whole (provider, order_id) index to
        // save a sort instead of reading the days' range of (time, provider) (migration 4).
        let sql = format!(
            "SELECT provider, {t} / {DAY_MS}, COUNT(*) FROM {} WHERE {t} >= $1 AND {} \
             GROUP BY {t} / {DAY_MS}, provider",
            chart.table,
            chart.condition,
            t = chart.time
        );
        let rows = store.query(&sql, &[Value::Int(first * DAY_MS)]).await?;
        let mut counts = vec![[0i64; 3]; DAYS as usize];
        for row in &rows {
            let (provider, day, n) = (row.text(0)?, row.int(1)?, row.int(2)?);
            if let (Some(p), Ok(d)) = (
                providers.iter().position(|x| *x == provider),
                usize::try_from(day - first),
            ) && d < counts.len()
            {
                counts[d][p] += n;
            }
        }
        let _ = write!(
            out,
            "<section id=\"{}\"><h2>{} (last {DAYS} days, UTC)</h2>{}</section>",
            chart.id,
            chart.title,
            bar_chart(&counts, &providers, first)
        );
    }
    Ok(out)
}

/// Stacked bars, one per day from day number `first`, one colour per series.
fn bar_chart(counts: &[[i64; 3]], series: &[&str], first: i64) -> String {
    const COLOURS: [&str; 3] = ["#1565c0", "#ef6c00", "#2e7d32"];
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (height, bar) = (160i64, 28i64);
    let width = counts.len() as i64 * 40 + 40;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" role=\"img\">",
        height + 40
    );
    for (i, day) in counts.iter().enumerate() {
        let x = 30 + i as i64 * 40;
        let date = time((first + i as i64) * DAY_MS);
        let mut y = height;
        for (p, n) in day.iter().enumerate() {
            let h = n * (height - 10) / max;
            if h > 0 {
                y -= h;
                let _ = write!(
                    svg,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{h}\" fill=\"{}\"><title>{} {}: {n}</title></rect>",
                    COLOURS[p % COLOURS.len()],
                    esc(series[p]),
                    &date[..10],
                );
            }
        }
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"{}\" font-size=\"10\">{}</text>",
            height + 14,
            &date[5..10]
        );
    }
    for (p, name) in series.iter().enumerate() {
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" \
             font-size=\"11\">{}</text>",
            30 + p as i64 * 110,
            height + 24,
            COLOURS[p % COLOURS.len()],
            44 + p as i64 * 110,
            height + 33,
            esc(name)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"12\" font-size=\"10\">{max}</text></svg>"
    );
    svg
}

#[derive(serde::Deserialize, Default)]
pub struct OrdersQuery {
    provider: Option<String>,
    state: Option<String>,
    /// Created on or after this day (`YYYY-MM-DD`, UTC).
    from: Option<String>,
    /// Created on or before this day.
    to: Option<String>,
    /// Keyset: entries older than this one.
    before: Option<i64>,
}

/// `GET /orders?provider=&state=&before=`.
pub async fn orders_page(State(app): State<Arc<App>>, Query(q): Query<OrdersQuery>) -> Response {
    let provider = q.provider.filter(|p| !p.is_empty());
    let state = q.state.filter(|s| !s.is_empty() && s != "all");
    let from = q.from.filter(|d| !d.is_empty());
    let to = q.to.filter(|d| !d.is_empty());
    let filter = orders_filter(
        provider.as_deref(),
        state.as_deref(),
        from.as_deref(),
        to.as_deref(),
        q.before,
    );
    let (condition, params) = match filter {
        Ok(filter) => filter,
        Err(bad) => return failure(StatusCode::BAD_REQUEST, &bad),
    };
    let rows = match orders(app.reader.store(), &condition, &params, PAGE).await {
        Ok(rows) => rows,
        Err(e) => return store_failed(e),
    };
    let filters = Filters {
        provider: provider.as_deref(),
        state: state.as_deref(),
        from: from.as_deref(),
        to: to.as_deref(),
    };
    let mut body = filter_form(&filters);
    body.push_str(&orders_table(&app, &rows, false));
    if rows.len() as i64 == PAGE
        && let Some(last) = rows.last()
    {
        let _ = write!(
            body,
            "<p><a id=\"older\" href=\"/orders?provider={}&amp;state={}&amp;from={}&amp;to={}&amp;before={}\">\
             Older →</a></p>",
            url_value(filters.provider.unwrap_or("")),
            url_value(filters.state.unwrap_or("")),
            url_value(filters.from.unwrap_or("")),
            url_value(filters.to.unwrap_or("")),
            last.entry_id
        );
    }
    page("Orders", &body)
}

/// The `/orders` page's condition: a provider, a state filter, created-from/to dates (`YYYY-MM-DD`, UTC) and
/// the keyset (entries older than `before`); `Err` names what is wrong. Public for the scale bench.
pub fn orders_filter(
    provider: Option<&str>,
    state: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    before: Option<i64>,
) -> Result<(String, Vec<Value>), String> {
    let mut conditions = vec!["1 = 1".to_string()];
    let mut params: Vec<Value> = Vec::new();
    if let Some(p) = provider {
        if sourcing_registry::flow(p).is_none() {
            return Err(format!("unknown provider {p}"));
        }
        params.push(p.into());
        conditions.push(format!("provider = ${}", params.len()));
    }
    if let Some(s) = state {
        let (condition, values) =
            state_condition(s, params.len() + 1).ok_or_else(|| format!("unknown state {s}"))?;
        conditions.push(condition);
        params.extend(values);
    }
    for (date, op, offset) in [(from, ">=", 0), (to, "<", DAY_MS)] {
        if let Some(date) = date {
            let ms = day_start_ms(date)
                .ok_or_else(|| format!("{date}: expected a date as YYYY-MM-DD"))?;
            params.push(Value::Int(ms + offset));
            conditions.push(format!("created_at_ms {op} ${}", params.len()));
        }
    }
    if let Some(before) = before {
        params.push(Value::Int(before));
        conditions.push(format!("entry_id < ${}", params.len()));
    }
    Ok((conditions.join(" AND "), params))
}

/// The orders page's filters, as given.
struct Filters<'a> {
    provider: Option<&'a str>,
    state: Option<&'a str>,
    from: Option<&'a str>,
    to: Option<&'a str>,
}

fn filter_form(f: &Filters) -> String {
    let (provider, state) = (f.provider, f.state);
    let option = |value: &str, chosen: Option<&str>| {
        format!(
            "<option value=\"{v}\"{}>{v}</option>",
            if chosen == Some(value) {
                " selected"
            } else {
                ""
            },
            v = esc(value)
        )
    };
    let mut providers = option("", provider);
    for p in sourcing_registry::flows() {
        providers.push_str(&option(p.name(), provider));
    }
    let mut states = option("", state);
    for s in ["unknown", "reported", "needs_person"]
        .into_iter()
        .chain(OrderState::ALL.iter().map(|s| s.name()))
    {
        states.push_str(&option(s, state));
    }
    format!(
        "<form method=\"get\" action=\"/orders\">Provider <select name=\"provider\">{providers}</select> \
         State <select name=\"state\">{states}</select> Created from <input type=\"date\" name=\"from\" \
         value=\"{}\"> to <input type=\"date\" name=\"to\" value=\"{}\"> <button type=\"submit\">Filter</button>\
         </form>",
        esc(f.from.unwrap_or("")),
        esc(f.to.unwrap_or(""))
    )
}

/// `GET /orders/{entry}`: the order, its timeline with the raw answers, its callbacks.
pub async fn order_page(State(app): State<Arc<App>>, Path(entry): Path<i64>) -> Response {
    let store = app.reader.store();
    let found = match orders(store, "entry_id = $1", &[Value::Int(entry)], 1).await {
        Ok(mut rows) => rows.pop(),
        Err(e) => return store_failed(e),
    };
    let Some(order) = found else {
        return failure(StatusCode::NOT_FOUND, &format!("no ledger entry {entry}"));
    };
    let events = match app.reader.history(entry).await {
        Ok(events) => events,
        Err(e) => return store_failed(e),
    };
    let mut body = orders_table(&app, std::slice::from_ref(&order), true);
    body.push_str(
        "<h2>Timeline</h2><table id=\"timeline\"><tr><th>At (UTC)</th><th>Event</th><th>Source</th>\
         <th>State after</th><th>Amount</th><th>Raw answer / detail</th></tr>",
    );
    for e in &events {
        let amount = e
            .amount
            .as_ref()
            .map(|a| format!("{} {}", a.value, a.unit))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr class=\"event event-{kind}\"><td>{}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><pre>{}</pre></td></tr>",
            time(e.at_ms),
            esc(&e.source),
            esc(e.state_after.name()),
            esc(&amount),
            esc(e.detail.as_deref().unwrap_or("")),
            kind = esc(e.kind.name()),
        );
    }
    body.push_str("</table>");
    if let Some(order_id) = &order.order_id {
        let callbacks = messages(
            store,
            "order_id = $1 AND provider = $2",
            &[order_id.as_str().into(), order.provider.as_str().into()],
            PAGE,
        )
        .await;
        match callbacks {
            Ok(rows) => {
                let _ = write!(body, "<h2>Callbacks</h2>{}", messages_table(&app, &rows));
            }
            Err(e) => return store_failed(e),
        }
    }
    page(&format!("Order entry {entry}"), &body)
}

#[derive(serde::Deserialize, Default)]
pub struct InboxQuery {
    state: Option<String>,
    before: Option<i64>,
}

/// `GET /inbox?state=pending|done|dead&before=`.
pub async fn inbox_page(State(app): State<Arc<App>>, Query(q): Query<InboxQuery>) -> Response {
    let state = q.state.filter(|s| !s.is_empty() && s != "all");
    let mut conditions = vec!["1 = 1".to_string()];
    let mut params: Vec<Value> = Vec::new();
    if let Some(s) = &state {
        if !["pending", "done", "dead"].contains(&s.as_str()) {
            return failure(StatusCode::BAD_REQUEST, &format!("unknown inbox state {s}"));
        }
        params.push(s.as_str().into());
        conditions.push(format!("state = ${}", params.len()));
    }
    if let Some(before) = q.before {
        params.push(Value::Int(before));
        conditions.push(format!("id < ${}", params.len()));
    }
    let rows = match messages(app.reader.store(), &conditions.join(" AND "), &params, PAGE).await {
        Ok(rows) => rows,
        Err(e) => return store_failed(e),
    };
    let mut body = String::from("<p>");
    for s in ["all", "pending", "done", "dead"] {
        let _ = write!(body, "<a href=\"/inbox?state={s}\">{s}</a> ");
    }
    body.push_str("</p>");
    body.push_str(&messages_table(&app, &rows));
    if rows.len() as i64 == PAGE
        && let Some(last) = rows.last()
    {
        let _ = write!(
            body,
            "<p><a id=\"older\" href=\"/inbox?state={}&amp;before={}\">Older →</a></p>",
            url_value(state.as_deref().unwrap_or("")),
            last.id
        );
    }
    page("Inbox", &body)
}

/// The form of every action: the CSRF token.
#[derive(serde::Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
}

/// Whether the form carries this process's CSRF token (compared in constant time).
fn csrf_ok(app: &App, form: &ActionForm, action: &str) -> bool {
    let ok = super::same(&form.csrf, &app.csrf);
    if !ok {
        tracing::warn!(
            action,
            "console action refused: missing or wrong CSRF token"
        );
        app.metrics.inc(
            "sourcing_console_actions_total",
            &[("action", action), ("outcome", "refused_csrf")],
        );
    }
    ok
}

fn csrf_refused() -> Response {
    failure(
        StatusCode::FORBIDDEN,
        "refused: the form carries no valid CSRF token; reload the page and try again",
    )
}

/// `POST /inbox/{id}/replay`: a dead letter back to the worker.
pub async fn replay(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !csrf_ok(&app, &form, "replay") {
        return csrf_refused();
    }
    let outcome = match app.ledger.store().replay(id).await {
        Ok(Replay::Replayed) => format!("Dead letter {id} replayed: the worker runs it again."),
        Ok(Replay::NotDeadLetter(state)) => {
            format!(
                "Message {id} is not a dead letter (it is {}).",
                state.as_str()
            )
        }
        Ok(Replay::NotFound) => format!("No inbox message {id}."),
        Err(e) => return store_failed(e),
    };
    tracing::info!(id, "console: {outcome}");
    app.metrics.inc(
        "sourcing_console_actions_total",
        &[("action", "replay"), ("outcome", "done")],
    );
    app.set_flash(outcome);
    Redirect::to("/").into_response()
}

/// `POST /orders/{entry}/reconcile`: read this order now.
pub async fn reconcile(
    State(app): State<Arc<App>>,
    Path(entry): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !csrf_ok(&app, &form, "reconcile") {
        return csrf_refused();
    }
    let r = &app.reconciler;
    let outcome = match r
        .ledger
        .reconcile_entry(&r.buyers, entry, &r.settings)
        .await
    {
        Ok(Some(settled)) => {
            r.count(std::slice::from_ref(&settled));
            format!(
                "Entry {entry}: {} → {}: {}",
                settled.before, settled.after, settled.note
            )
        }
        Ok(None) => format!("Entry {entry}: no credentials for its provider here; nothing read."),
        Err(e) => format!("Entry {entry}: {e}"),
    };
    tracing::info!(entry, "console: {outcome}");
    app.metrics.inc(
        "sourcing_console_actions_total",
        &[("action", "reconcile"), ("outcome", "done")],
    );
    app.set_flash(outcome);
    Redirect::to("/").into_response()
}

/// The form of "mark handled": who and why, and the CSRF token.
#[derive(serde::Deserialize)]
pub struct HandledForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    note: String,
}

/// `POST /orders/{entry}/handled`: a person settled the order; recorded as a ledger event with who and why.
pub async fn handled(
    State(app): State<Arc<App>>,
    Path(entry): Path<i64>,
    Form(form): Form<HandledForm>,
) -> Response {
    let token = ActionForm { csrf: form.csrf };
    if !csrf_ok(&app, &token, "handled") {
        return csrf_refused();
    }
    let (who, note) = (form.who.trim(), form.note.trim());
    if who.is_empty() || note.is_empty() || who.len() > 100 || note.len() > 500 {
        return failure(
            StatusCode::BAD_REQUEST,
            "say who you are (up to 100 characters) and what was done (up to 500)",
        );
    }
    let outcome = match app.ledger.mark_handled(entry, who, note).await {
        Ok(state) => format!("Entry {entry} marked handled by {who} (state stays {state})."),
        Err(e) => format!("Entry {entry}: {e}"),
    };
    tracing::info!(entry, who, "console: {outcome}");
    app.metrics.inc(
        "sourcing_console_actions_total",
        &[("action", "handled"), ("outcome", "done")],
    );
    app.set_flash(outcome);
    Redirect::to("/").into_response()
}

/// `GET /login`: the token form (only when `--token` is set).
pub async fn login_form() -> Response {
    page(
        "Sign in",
        "<form method=\"post\" action=\"/login\"><label>Access token <input type=\"password\" \
         name=\"token\" autocomplete=\"off\"></label> <button type=\"submit\">Sign in</button></form>",
    )
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
}

/// `POST /login`: the token as an HttpOnly, SameSite=Strict cookie.
pub async fn login(State(app): State<Arc<App>>, Form(form): Form<LoginForm>) -> Response {
    match &app.token {
        Some(token) if super::same(&form.token, token) => (
            [(
                header::SET_COOKIE,
                format!(
                    "{}={}; HttpOnly; SameSite=Strict; Path=/",
                    super::COOKIE,
                    form.token
                ),
            )],
            Redirect::to("/"),
        )
            .into_response(),
        Some(_) => {
            tracing::warn!("console sign-in refused: wrong token");
            failure(StatusCode::UNAUTHORIZED, "wrong token")
        }
        None => Redirect::to("/").into_response(),
    }
}

/// Whether `headers` carry the token as `Authorization: Bearer` or as the cookie.
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| super::same(t.trim(), token));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == super::COOKIE && super::same(v, token));
    bearer || cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }

    #[test]
    fn dates_are_parsed_back_to_their_day() {
        for ms in [0, 951_782_400_000, 1_796_601_599_000, -86_400_000] {
            let day = &time(ms)[..10];
            let start = day_start_ms(day).unwrap();
            assert!(start <= ms && ms < start + 86_400_000, "{day}");
        }
        for bad in ["2026-13-01", "2026-1-1", "yesterday", "2026-12-0x", ""] {
            assert_eq!(day_start_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_are_utc_calendar_dates() {
        assert_eq!(time(0), "1970-01-01 00:00:00");
        assert_eq!(time(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(time(1_796_601_599_000), "2026-12-06 23:59:59");
    }
}
