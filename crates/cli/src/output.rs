//! Output: the `--output` [`Format`] every command that prints answers offers, and the [`Printer`] that
//! writes them: pretty JSON, JSON lines, or a table for lists (an array of objects, or an object holding one).
//! A command says what it has — one whole answer, or the items of a stream — and the format decides how
//! that is written.

use clap::builder::PossibleValue;
use clap::{Arg, ArgMatches, ValueEnum};
use serde_json::Value;
use sourcing_runtime::BodyPrefix;
use std::io::Write;

/// How answers are written to stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One pretty-printed JSON document: an answer, or the array of a stream's items.
    Json,
    /// One compact JSON value per line: an answer (each element of an array answer), or each item of a stream
    /// as it comes.
    JsonLines,
    /// A table of each answer's substance ([`Grid::of`]): one row per answer, or per element of the list it
    /// holds (hits, SKUs, orders, failures), columns in a stated order ([`COLUMN_ORDER`]).
    Table,
    /// The rows of [`Format::Table`] as CSV (RFC 4180, a header row): for a spreadsheet.
    Csv,
}

impl Format {
    pub const ID: &'static str = "output";

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonLines => "json-lines",
            Format::Table => "table",
            Format::Csv => "csv",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Format::Json => "one pretty-printed JSON document",
            Format::JsonLines => {
                "one compact JSON value per line (each element of a list; each answer of a stream)"
            }
            Format::Table => "a table: one row per answer or per item of the list it holds",
            Format::Csv => "the table's rows as CSV with a header row (RFC 4180)",
        }
    }

    /// The global `--output`/`-o` argument of a command whose answers are printed, defaulting to `default`.
    pub fn arg(default: Format) -> Arg {
        Arg::new(Self::ID)
            .long(Self::ID)
            .short('o')
            .global(true)
            .value_name("FORMAT")
            .value_parser(clap::builder::EnumValueParser::<Format>::new())
            .default_value(default.name())
            .help("How answers are printed: json, json-lines, table or csv")
    }

    /// `--output`/`-o` without a default, for a command whose own output (text) is the default.
    pub fn optional_arg(help: &'static str) -> Arg {
        Arg::new(Self::ID)
            .long(Self::ID)
            .short('o')
            .global(true)
            .value_name("FORMAT")
            .value_parser(clap::builder::EnumValueParser::<Format>::new())
            .help(help)
    }

    /// The format `m` asks for, if it names one.
    pub fn given(m: &ArgMatches) -> Option<Format> {
        m.try_get_one::<Format>(Self::ID).ok().flatten().copied()
    }

    /// The format `m` asks for; `default` when the command offers no `--output`.
    pub fn of(m: &ArgMatches, default: Format) -> Format {
        m.try_get_one::<Format>(Self::ID)
            .ok()
            .flatten()
            .copied()
            .unwrap_or(default)
    }

    /// One whole answer, as printed (without the final newline).
    pub fn answer(self, data: &Value) -> String {
        match (self, data) {
            (Format::Json, _) => json(data),
            (Format::JsonLines, Value::Array(items)) => items
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            (Format::JsonLines, _) => data.to_string(),
            (Format::Table, _) => table(data),
            (Format::Csv, _) => csv(data).trim_end_matches("\r\n").to_string(),
        }
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Json, Format::JsonLines, Format::Table, Format::Csv]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.help()))
    }
}

/// Writes a command's answers to stdout in its [`Format`].
pub struct Printer {
    format: Format,
    /// The items of a stream, held until [`Printer::finish`] by the formats that print them as one document.
    held: Vec<Value>,
}

impl Printer {
    pub fn new(format: Format) -> Self {
        Printer {
            format,
            held: Vec::new(),
        }
    }

    /// One whole answer (an operation's data); nothing at all for an empty table (an empty list).
    pub fn answer(&self, data: &Value) {
        let text = self.format.answer(data);
        if !text.is_empty() {
            print_line(&text);
        }
    }

    /// One item of a stream (a provider's answer in `buy`): JSON lines print it now, the others with
    /// [`Printer::finish`].
    pub fn item(&mut self, item: Value) {
        match self.format {
            Format::JsonLines => print_line(&item.to_string()),
            Format::Json | Format::Table | Format::Csv => self.held.push(item),
        }
    }

    /// The end of a stream: the held items as one document.
    pub fn finish(self) {
        if !self.held.is_empty() {
            print_line(&self.format.answer(&Value::Array(self.held)));
        }
    }
}

/// `text` and a newline on stdout, flushed (a stream's line is seen at once). A failed write is kept for
/// the exit code ([`stdout_failure`]): a closed pipe (`| head`) quietly, anything else (a full disk) as an
/// error.
fn print_line(text: &str) {
    let _ = print_text(text);
}

/// `text` and a newline on stdout, flushed; `Err` for a write error other than a closed pipe (also kept
/// for [`stdout_failure`]). After a failure nothing more is written.
pub fn print_text(text: &str) -> Result<(), crate::Stop> {
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) else {
        return Ok(());
    };
    STDOUT_CLOSED.store(true, Ordering::Relaxed);
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Ok(());
    }
    let stop = crate::Stop(
        crate::exit::IO,
        format!("cannot write the output to stdout: {e}"),
    );
    if let Ok(mut failure) = STDOUT_FAILURE.lock() {
        failure.get_or_insert(stop.1.clone());
    }
    Err(stop)
}

/// Whether stdout has failed (closed or in error): nothing more is written.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The first write error on stdout that was not a closed pipe.
static STDOUT_FAILURE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// The error of a failed write to stdout, if any: a command whose output was lost fails
/// ([`crate::exit::IO`]) whatever it did; a closed pipe is not a failure.
pub fn stdout_failure() -> Option<crate::Stop> {
    let failure = STDOUT_FAILURE.lock().ok()?.clone()?;
    Some(crate::Stop(crate::exit::IO, failure))
}

/// Terminal columns of `s`: East Asian wide and fullwidth characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// The body prefix an error kept (up to [`sourcing_runtime::BODY_PREFIX_LIMIT`], 4 KiB), whole: the
/// error's own message shortens it to one line.
pub fn body_prefix(body: &BodyPrefix) -> String {
    if body.is_truncated() {
        format!(
            "response body (first {} of {} bytes):\n{}",
            body.bytes.len(),
            body.total_len,
            body.as_text()
        )
    } else {
        format!(
            "response body ({} bytes):\n{}",
            body.total_len,
            body.as_text()
        )
    }
}

pub fn json(data: &Value) -> String {
    serde_json::to_string_pretty(data).unwrap_or_else(|_| data.to_string())
}

/// Columns in this order (by label), whatever the JSON's order (serde_json sorts object keys); the others
/// where `*` is, in the order first seen. Who and what first, then ids, state, goods, money, the rest,
/// outcome, time.
pub const COLUMN_ORDER: &[&str] = &[
    "provider",
    "profile",
    "group",
    "operation",
    "variant",
    "verdict",
    "id",
    "entry_id",
    "order_id",
    "orderId",
    "external_order_id",
    "external_id",
    "state",
    "status",
    "outcome",
    "offer_id",
    "offerId",
    "title",
    "subject",
    "sku_id",
    "skuId",
    "spec_id",
    "specId",
    "quantity",
    "unit_price",
    "price",
    "goods",
    "freight",
    "total",
    "amount",
    // Columns not named here.
    "*",
    "paid",
    "failed",
    "conflicting",
    "error",
    "errorReason",
    "reason",
    "unsupported",
    "detail",
    "kind",
    "source",
    "at",
    "created_at",
    "updated_at",
];

/// Where a column goes in [`COLUMN_ORDER`] (by its label, else its last part after a dot).
fn rank(label: &str) -> usize {
    let leaf = label.rsplit('.').next().unwrap_or(label);
    let at = |name: &str| COLUMN_ORDER.iter().position(|k| *k == name);
    at(label)
        .or_else(|| at(leaf))
        .or_else(|| at("*"))
        .unwrap_or(0)
}

/// Fields never shown in a table: the vendor's raw answer (the normalised fields beside it are what a
/// person reads; `-o json` has it whole).
const HIDDEN: &[&str] = &["raw"];

/// What `-o table` and `-o csv` print: named columns and rows of text cells.
#[derive(Debug, Default, PartialEq)]
pub struct Grid {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One row: (column label, cell), in the order found.
type Row = Vec<(String, String)>;

impl Grid {
    /// The substance of `data` as rows. Each answer (the elements of an array, or `data` itself) is one
    /// row of its scalar fields (nested objects' fields too, money as `64 CNY`, epoch-millisecond times as
    /// local time); where it holds lists of objects, the shallowest one (search hits, SKUs, a preview's
    /// orders, a batch's failures) becomes rows instead, each with the answer's fields beside it; other
    /// lists are one cell (`1, 2`; `—` when empty). `None` for a scalar.
    pub fn of(data: &Value) -> Option<Grid> {
        let rows: Vec<Row> = match data {
            Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => items
                .iter()
                .map(|i| vec![("value".to_string(), scalar_cell("value", i))])
                .collect(),
            Value::Array(items) => items.iter().flat_map(answer_rows).collect(),
            Value::Object(_) if !has_list(data) => return Some(vertical(data)),
            Value::Object(_) => answer_rows(data),
            _ => return None,
        };
        Some(Grid::from_rows(rows))
    }

    fn from_rows(rows: Vec<Row>) -> Grid {
        let mut columns: Vec<String> = Vec::new();
        for (label, _) in rows.iter().flatten() {
            if !columns.contains(label) {
                columns.push(label.clone());
            }
        }
        columns.sort_by_key(|c| rank(c));
        let rows = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|c| {
                        row.iter()
                            .find(|(label, _)| label == c)
                            .map(|(_, cell)| cell.clone())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        Grid { columns, rows }
    }

    /// Aligned columns, a rule under the header, two spaces between columns.
    pub fn table(&self) -> String {
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(name)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - width(c))))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = vec![line(&self.columns)];
        out.push(line(
            &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
        ));
        out.extend(self.rows.iter().map(|r| line(r)));
        out.join("\n")
    }

    /// RFC 4180: a header row, then one record per row; a field holding a comma, a quote or a line break
    /// is quoted, its quotes doubled; records end with CRLF. A column of amounts in one unit (`64 CNY`)
    /// holds the numbers, its header the unit (`total (CNY)`), so that a spreadsheet can add them up.
    pub fn csv(&self) -> String {
        if self.columns.is_empty() {
            return String::new();
        }
        let field = |f: &str| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        };
        let units: Vec<Option<&str>> = (0..self.columns.len()).map(|i| self.unit_of(i)).collect();
        let header: Vec<String> = self
            .columns
            .iter()
            .zip(&units)
            .map(|(c, unit)| match unit {
                Some(unit) => format!("{c} ({unit})"),
                None => c.clone(),
            })
            .collect();
        let record = |cells: Vec<&str>| cells.into_iter().map(field).collect::<Vec<_>>().join(",");
        let rows = self.rows.iter().map(|r| {
            r.iter()
                .zip(&units)
                .map(|(cell, unit)| match unit {
                    Some(unit) => cell.trim_end_matches(unit).trim_end(),
                    None => cell.as_str(),
                })
                .collect::<Vec<_>>()
        });
        std::iter::once(record(header.iter().map(String::as_str).collect()))
            .chain(rows.map(record))
            .map(|r| r + "\r\n")
            .collect()
    }

    /// The unit of column `i` when every cell in it that is not empty is an amount in that one unit
    /// (`64 CNY`, `6400 fen`).
    fn unit_of(&self, i: usize) -> Option<&str> {
        let mut unit = None;
        for cell in self
            .rows
            .iter()
            .map(|r| r[i].as_str())
            .filter(|c| !c.is_empty())
        {
            let (number, u) = cell.split_once(' ')?;
            let decimal = !number.is_empty()
                && number
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.');
            if !decimal
                || !["CNY", "fen", "yuan"].contains(&u)
                || unit.is_some_and(|seen| seen != u)
            {
                return None;
            }
            unit = Some(u);
        }
        unit
    }
}

/// A table of `data` (see [`Grid::of`]); JSON for a scalar.
pub fn table(data: &Value) -> String {
    match Grid::of(data) {
        Some(grid) if !grid.rows.is_empty() => grid.table(),
        Some(_) => String::new(),
        None => json(data),
    }
}

/// CSV of `data` (see [`Grid::of`]).
pub fn csv(data: &Value) -> String {
    match Grid::of(data) {
        Some(grid) => grid.csv(),
        None => Grid {
            columns: vec!["value".into()],
            rows: vec![vec![scalar_cell("value", data)]],
        }
        .csv(),
    }
}

/// Whether `value` holds a list of objects anywhere (outside the hidden fields).
fn has_list(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(Value::is_object),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| !HIDDEN.contains(&k.as_str()) && has_list(v)),
        _ => false,
    }
}

/// An object without lists as `field value` rows.
fn vertical(data: &Value) -> Grid {
    let mut cells = Row::new();
    let mut lists = Vec::new();
    flatten(data, "", 0, &mut cells, &mut lists);
    Grid {
        columns: vec!["field".into(), "value".into()],
        rows: cells.into_iter().map(|(k, v)| vec![k, v]).collect(),
    }
}

/// The rows of one answer: its cells, or one row per element of its shallowest list of objects.
fn answer_rows(answer: &Value) -> Vec<Row> {
    let mut cells = Row::new();
    let mut lists: Vec<(usize, String, &Vec<Value>)> = Vec::new();
    flatten(answer, "", 0, &mut cells, &mut lists);
    let shallowest = lists.iter().map(|(d, _, _)| *d).min();
    let chosen = lists.iter().position(|(d, _, _)| Some(*d) == shallowest);
    let mut context = Row::new();
    for (label, cell) in cells {
        context.push((label, cell));
    }
    for (i, (_, label, items)) in lists.iter().enumerate() {
        if Some(i) != chosen {
            context.push((label.clone(), compact(items)));
        }
    }
    let Some((_, label, items)) = chosen.map(|i| &lists[i]) else {
        return vec![context];
    };
    if items.is_empty() {
        context.push((label.clone(), "—".into()));
        return vec![context];
    }
    items
        .iter()
        .map(|item| {
            let mut row = context.clone();
            let mut cells = Row::new();
            let mut inner = Vec::new();
            flatten(item, "", 0, &mut cells, &mut inner);
            for (label, cell) in cells {
                add(&mut row, label, cell);
            }
            for (_, label, items) in inner {
                add(&mut row, label, compact(items));
            }
            row
        })
        .collect()
}

/// Add a cell under `label`, or `…2` should the answer already have one of that name.
fn add(row: &mut Row, label: String, cell: String) {
    let label = if row.iter().any(|(l, _)| *l == label) {
        format!("{label}.2")
    } else {
        label
    };
    row.push((label, cell));
}

/// The cells of `value`'s scalar fields (nested objects' fields labelled by their own name, or
/// `parent.name` when taken) and its lists of objects (with their depth), hidden fields left out.
fn flatten<'a>(
    value: &'a Value,
    prefix: &str,
    depth: usize,
    cells: &mut Row,
    lists: &mut Vec<(usize, String, &'a Vec<Value>)>,
) {
    let Value::Object(map) = value else {
        return;
    };
    for (key, v) in map {
        if HIDDEN.contains(&key.as_str()) {
            continue;
        }
        let label = if cells.iter().any(|(l, _)| l == key) || lists.iter().any(|(_, l, _)| l == key)
        {
            format!("{prefix}{key}")
        } else {
            key.clone()
        };
        match v {
            Value::Object(_) if money(v).is_some() => {
                cells.push((label, money(v).unwrap_or_default()))
            }
            Value::Object(_) => flatten(v, &format!("{key}."), depth + 1, cells, lists),
            Value::Array(items) if items.iter().any(Value::is_object) => {
                lists.push((depth, label, items))
            }
            Value::Array(items) if items.is_empty() && key_is_list_of_objects(key) => {
                lists.push((depth, label, items))
            }
            Value::Array(items) => cells.push((label, join(key, items))),
            // `created_at_ms` shows as local time under `created_at`.
            v if v.is_number() && key.ends_with("_ms") => cells.push((
                label.trim_end_matches("_ms").to_string(),
                scalar_cell(key, v),
            )),
            v => cells.push((label, scalar_cell(key, v))),
        }
    }
}

/// Names of lists that hold objects when not empty (an empty one still makes the table say "—").
fn key_is_list_of_objects(key: &str) -> bool {
    [
        "hits", "skus", "orders", "lines", "items", "entries", "events", "failed",
    ]
    .contains(&key)
}

/// A list of scalars as one cell: `1, 2`; `—` when empty.
fn join(key: &str, items: &[Value]) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|i| scalar_cell(key, i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A list of objects in one cell: each element's values (`id (reason)`), `; ` between; `—` when empty.
fn compact(items: &[Value]) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|item| {
            let mut cells = Row::new();
            let mut lists = Vec::new();
            flatten(item, "", 0, &mut cells, &mut lists);
            cells.sort_by_key(|(label, _)| rank(label));
            let mut values = cells.into_iter().map(|(_, c)| c).filter(|c| !c.is_empty());
            let first = values.next().unwrap_or_default();
            let rest: Vec<String> = values.collect();
            match rest.is_empty() {
                true => first,
                false => format!("{first} ({})", rest.join(", ")),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A money object (`{amount, unit, currency?, yuan?}`) as text: `64 CNY` (yuan), else `6400 fen`.
fn money(v: &Value) -> Option<String> {
    let amount = v.get("amount")?;
    let unit = v.get("unit")?.as_str()?;
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    Some(
        match (v.get("yuan"), v.get("currency").and_then(Value::as_str)) {
            (Some(yuan), Some(currency)) if !yuan.is_null() => format!("{} {currency}", text(yuan)),
            _ => format!("{} {unit}", text(amount)),
        },
    )
}

/// A scalar as text: strings as they are, `null` as nothing, epoch milliseconds as local time when the
/// field names a time (`…_ms`, `…_at`, `…At`, `…Time`, `at`).
fn scalar_cell(key: &str, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) if is_time_key(key) => n
            .as_i64()
            .and_then(local_time)
            .unwrap_or_else(|| n.to_string()),
        v => v.to_string(),
    }
}

fn is_time_key(key: &str) -> bool {
    key == "at"
        || key.ends_with("_ms")
        || key.ends_with("_at")
        || key.ends_with("At")
        || key.ends_with("Time")
}

/// Epoch milliseconds (13 digits: 2001 to 2286) as local time, `2026-12-06 17:20:03`.
fn local_time(ms: i64) -> Option<String> {
    use chrono::TimeZone;
    if !(1_000_000_000_000..10_000_000_000_000).contains(&ms) {
        return None;
    }
    chrono::Local
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_keep_the_whole_4_kib_prefix() {
        let body = "x".repeat(10_000);
        let shown = body_prefix(&BodyPrefix::new(body.as_bytes()));
        assert!(
            shown.starts_with("response body (first 4096 of 10000 bytes):\n"),
            "{shown}"
        );
        assert_eq!(shown.matches('x').count(), 4096);
        let short = body_prefix(&BodyPrefix::new(b"<html>oops</html>"));
        assert_eq!(short, "response body (17 bytes):\n<html>oops</html>");
    }

    #[test]
    fn lists_become_tables_in_the_stated_column_order() {
        let data = serde_json::json!({"payFailOrders": [{"orderId": "1", "errorReason": "账户额度不足"}, {"orderId": "22"}]});
        assert_eq!(
            table(&data),
            "orderId  errorReason\n-------  ------------\n1        账户额度不足\n22"
        );
        // An object without lists: one row per field.
        assert_eq!(
            table(&serde_json::json!({"a": 1, "b": {"c": null}})),
            "field  value\n-----  -----\na      1\nc"
        );
    }

    /// Each answer of a stream is a row; the list it holds (search hits, a preview's orders) becomes rows
    /// beside the answer's own fields; money reads `64 CNY`, other lists are one cell, empty ones `—`, and
    /// the vendor's raw answer is left out.
    #[test]
    fn nested_lists_are_rows_and_money_reads_as_money() {
        let money = |yuan: &str| serde_json::json!({"amount": "1", "unit": "fen", "currency": "CNY", "yuan": yuan});
        let data = serde_json::json!([
            {"provider": "xportcn", "result": {"orders": [
                {"total": money("64"), "freight": money("6"), "lines": [{"offer_id": "1"}, {"offer_id": "2"}]},
                {"total": money("7"), "freight": null, "lines": []},
            ], "raw": {"x": 1}}},
            {"provider": "pandapon", "result": {"hits": [], "total_records": 13}},
            {"provider": "dajisaas", "error": "refused", "unsupported": true},
        ]);
        assert_eq!(
            table(&data),
            "provider  freight  total   lines  total_records  hits  error    unsupported\n\
             --------  -------  ------  -----  -------------  ----  -------  -----------\n\
             xportcn   6 CNY    64 CNY  1; 2\n\
             xportcn            7 CNY   —\n\
             pandapon                          13             —\n\
             dajisaas                                               refused  true"
        );
    }

    #[test]
    fn an_empty_list_prints_nothing() {
        for format in [Format::Table, Format::Csv] {
            assert_eq!(format.answer(&serde_json::json!([])), "", "{format:?}");
        }
        assert_eq!(Format::Json.answer(&serde_json::json!([])), "[]");
    }

    #[test]
    fn csv_quotes_as_rfc_4180_says() {
        let data =
            serde_json::json!([{"id": "1", "title": "a, \"b\"\nc"}, {"id": "2", "title": null}]);
        assert_eq!(csv(&data), "id,title\r\n1,\"a, \"\"b\"\"\nc\"\r\n2,\r\n");
    }

    /// A column of amounts in one unit is numbers under a header naming the unit; mixed units stay text.
    #[test]
    fn csv_amounts_are_numbers_with_the_unit_in_the_header() {
        let money = |yuan: &str| serde_json::json!({"amount": "1", "unit": "fen", "currency": "CNY", "yuan": yuan});
        let data = serde_json::json!([
            {"order_id": "1", "total": money("64.5"), "mixed": "5 CNY"},
            {"order_id": "2", "total": null, "mixed": "500 fen"},
        ]);
        assert_eq!(
            csv(&data),
            "order_id,total (CNY),mixed\r\n1,64.5,5 CNY\r\n2,,500 fen\r\n"
        );
    }

    #[test]
    fn epoch_milliseconds_read_as_local_time() {
        let data = serde_json::json!([{"order_id": "1", "created_at_ms": 1_765_000_000_000_i64, "count_ms": 5}]);
        let grid = Grid::of(&data).unwrap();
        assert_eq!(
            grid.columns,
            ["order_id", "count", "created_at"],
            "times last"
        );
        let shown = &grid.rows[0][2];
        assert!(shown.starts_with("2025-12-"), "{shown}");
        assert_eq!(grid.rows[0][1], "5", "not a time: 5 ms");
    }

    #[test]
    fn json_lines_print_each_element_of_a_list_on_its_own_line() {
        let list = serde_json::json!([{"a": 1}, {"b": [2, 3]}]);
        assert_eq!(Format::JsonLines.answer(&list), "{\"a\":1}\n{\"b\":[2,3]}");
        let one = serde_json::json!({"a": {"b": 1}});
        assert_eq!(Format::JsonLines.answer(&one), "{\"a\":{\"b\":1}}");
        assert_eq!(
            Format::Json.answer(&one),
            "{\n  \"a\": {\n    \"b\": 1\n  }\n}"
        );
        assert_eq!(
            Format::Table.answer(&serde_json::json!(7)),
            "7",
            "a scalar: JSON"
        );
    }
}
