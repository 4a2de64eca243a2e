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
    /// A table of the first list of objects (its scalar columns); JSON where there is no such list.
    Table,
}

impl Format {
    pub const ID: &'static str = "output";

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonLines => "json-lines",
            Format::Table => "table",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Format::Json => "one pretty-printed JSON document",
            Format::JsonLines => {
                "one compact JSON value per line (each element of a list; each answer of a stream)"
            }
            Format::Table => "a table of the first list of objects; JSON where there is none",
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
            .help("How answers are printed: json, json-lines or table")
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
        }
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Json, Format::JsonLines, Format::Table]
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

    /// One whole answer (an operation's data).
    pub fn answer(&self, data: &Value) {
        print_line(&self.format.answer(data));
    }

    /// One item of a stream (a provider's answer in `buy`): JSON lines print it now, the others with
    /// [`Printer::finish`].
    pub fn item(&mut self, item: Value) {
        match self.format {
            Format::JsonLines => print_line(&item.to_string()),
            Format::Json | Format::Table => self.held.push(item),
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

/// The body prefix an error kept (up to [`sourcing_runtime::error::BODY_PREFIX_LIMIT`], 4 KiB), whole: the
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

/// The first array of objects in `data` (itself, or one of its fields), as a table of its scalar columns and
/// those of its objects one level down (`result.orderId`); anything else falls back to JSON.
pub fn table(data: &Value) -> String {
    let rows = match data {
        Value::Array(a) => Some(a),
        Value::Object(m) => m
            .values()
            .find_map(|v| v.as_array().filter(|a| a.iter().any(Value::is_object))),
        _ => None,
    };
    let Some(rows) = rows.filter(|r| !r.is_empty()) else {
        return json(data);
    };
    let columns = columns(rows);
    if columns.is_empty() {
        return json(data);
    }
    let names: Vec<String> = columns
        .iter()
        .map(|(key, sub)| match sub {
            Some(sub) => format!("{key}.{sub}"),
            None => key.clone(),
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .zip(&names)
        .map(|(c, name)| {
            rows.iter()
                .map(|r| width(&cell(r, c)))
                .chain([width(name)])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - width(c))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(names)];
    out.push(line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for r in rows {
        out.push(line(columns.iter().map(|c| cell(r, c)).collect()));
    }
    out.join("\n")
}

/// A column: a row's field, or a field of an object it holds.
type Column = (String, Option<String>);

/// A row's cell in `column`, as text.
fn cell(row: &Value, column: &Column) -> String {
    match at(row, column) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// A row's value in `column`.
fn at<'a>(row: &'a Value, (key, sub): &Column) -> Option<&'a Value> {
    let value = row.get(key);
    match sub {
        Some(sub) => value.and_then(|v| v.get(sub)),
        None => value,
    }
}

/// The scalar fields of the rows, and those of their object fields, in first-seen order; a field that is a
/// list, or an object nested deeper, in any row is left out.
fn columns(rows: &[Value]) -> Vec<Column> {
    let scalar = |v: &Value| !v.is_object() && !v.is_array();
    let mut columns: Vec<Column> = Vec::new();
    let mut add = |column: Column| {
        if !columns.contains(&column) {
            columns.push(column);
        }
    };
    for row in rows.iter().filter_map(Value::as_object) {
        for (k, v) in row {
            match v {
                Value::Object(inner) => inner
                    .iter()
                    .filter(|(_, v)| scalar(v))
                    .for_each(|(sub, _)| add((k.clone(), Some(sub.clone())))),
                v if scalar(v) => add((k.clone(), None)),
                _ => {}
            }
        }
    }
    columns.retain(|c| rows.iter().all(|r| at(r, c).is_none_or(scalar)));
    columns
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
    fn lists_become_tables() {
        let data = serde_json::json!({"payFailOrders": [{"orderId": "1", "errorReason": "账户额度不足"}, {"orderId": "22"}]});
        assert_eq!(
            table(&data),
            "errorReason   orderId\n------------  -------\n账户额度不足  1\n              22"
        );
        assert_eq!(table(&serde_json::json!({"a": 1})), "{\n  \"a\": 1\n}");
    }

    #[test]
    fn objects_one_level_down_are_columns_too() {
        let data = serde_json::json!([
            {"provider": "pandapon", "result": {"orderId": "2257455039610311973", "lines": [1], "raw": {"a": 1}}},
            {"provider": "dajisaas", "error": "refused", "unsupported": true, "result": {"lines": null}},
            {"provider": "xportcn", "result": {"orderId": null, "raw": null}},
        ]);
        assert_eq!(
            table(&data),
            "provider  result.orderId       error    unsupported\n\
             --------  -------------------  -------  -----------\n\
             pandapon  2257455039610311973\n\
             dajisaas                       refused  true\n\
             xportcn"
        );
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
            Format::Table.answer(&one),
            Format::Json.answer(&one),
            "no list: JSON"
        );
    }
}
