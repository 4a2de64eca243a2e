//! Output: pretty JSON, or a table for lists (an array of objects, or an object holding one).

use serde_json::Value;
use sourcing_runtime::BodyPrefix;

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

/// The first array of objects in `data` (itself, or one of its fields), as a table of its scalar columns;
/// anything else falls back to JSON.
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
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(m) = row {
            for (k, v) in m {
                if !v.is_object() && !v.is_array() && !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    if columns.is_empty() {
        return json(data);
    }
    let cell = |row: &Value, col: &str| match row.get(col) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let widths: Vec<usize> = columns
        .iter()
        .map(|c| {
            rows.iter()
                .map(|r| width(&cell(r, c)))
                .chain([width(c)])
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
    let mut out = vec![line(columns.clone())];
    out.push(line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for r in rows {
        out.push(line(columns.iter().map(|c| cell(r, c)).collect()));
    }
    out.join("\n")
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
}
