//! Response budgets: a result whose JSON is over the budget is cut, never silently. The largest list in it
//! is shortened to what fits and a `continuation` says so (where, how many shown of how many, and a cursor
//! for the `more_results` tool, which returns the next page). A result with no list to shorten is sent as
//! JSON text in pages the same way.

use rmcp::model::CallToolResult;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Default budget in bytes of JSON (`--max-result-bytes`).
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024;

/// The continuation tool's name.
pub const MORE: &str = "more_results";

/// At most this many continuations are kept (the oldest is dropped first).
const MAX_STORED: usize = 32;

enum Rest {
    /// The remaining items of the list at `path` (a JSON pointer into the first page's result).
    Items {
        path: String,
        items: Vec<Value>,
        offset: usize,
        total: usize,
    },
    /// The remaining JSON text of a result.
    Text { text: String, offset: usize },
}

pub struct Budget {
    max_bytes: usize,
    stored: Mutex<(u64, VecDeque<(String, Rest)>)>,
}

fn size(v: &Value) -> usize {
    serde_json::to_string(v).map_or(usize::MAX, |s| s.len())
}

/// The JSON pointers and serialised sizes of the arrays in `v` with more than one item.
fn arrays(v: &Value, at: &str, out: &mut Vec<(String, usize)>) {
    match v {
        Value::Array(items) => {
            if items.len() > 1 {
                out.push((at.to_string(), size(v)));
            }
            for (i, item) in items.iter().enumerate() {
                arrays(item, &format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                arrays(item, &format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}

/// The longest prefix of `text` of at most `max` bytes, at a character boundary (at least one character).
fn text_prefix(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end -= 1;
    }
    if end == 0 {
        end = text.chars().next().map_or(0, char::len_utf8);
    }
    &text[..end]
}

impl Budget {
    pub fn new(max_bytes: usize) -> Self {
        Budget {
            max_bytes,
            stored: Mutex::new((0, VecDeque::new())),
        }
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    fn store(&self, rest: Rest) -> String {
        let mut stored = self.stored.lock().unwrap_or_else(|e| e.into_inner());
        stored.0 += 1;
        let cursor = format!("page-{}", stored.0);
        if stored.1.len() >= MAX_STORED {
            stored.1.pop_front();
        }
        stored.1.push_back((cursor.clone(), rest));
        cursor
    }

    fn take(&self, cursor: &str) -> Option<Rest> {
        let mut stored = self.stored.lock().unwrap_or_else(|e| e.into_inner());
        let i = stored.1.iter().position(|(c, _)| c == cursor)?;
        stored.1.remove(i).map(|(_, rest)| rest)
    }

    /// `result` within the budget: unchanged when it fits, else its first page with a `continuation`.
    pub fn fit(&self, result: CallToolResult) -> CallToolResult {
        let is_error = result.is_error == Some(true);
        let value = match result.structured_content {
            Some(Value::Object(map)) => Value::Object(map),
            Some(_) => return result,
            None => {
                let text: String = result
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                    .collect();
                if text.len() <= self.max_bytes {
                    return result;
                }
                return finish(self.text_page(text, 0), is_error);
            }
        };
        if size(&value) <= self.max_bytes {
            return finish(value, is_error);
        }
        let page = self
            .list_page(&value)
            .unwrap_or_else(|| self.text_page(value.to_string(), 0));
        finish(page, is_error)
    }

    /// The first page of `value` with one list shortened — the largest that can make it fit.
    fn list_page(&self, value: &Value) -> Option<Value> {
        let mut lists = Vec::new();
        arrays(value, "", &mut lists);
        lists.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
        lists
            .into_iter()
            .find_map(|(path, _)| self.cut_list(value, path))
    }

    /// `value` with the list at `path` cut to the most items that fit (at least one), if any do.
    fn cut_list(&self, value: &Value, path: String) -> Option<Value> {
        let items = value.pointer(&path)?.as_array()?.clone();
        let total = items.len();
        let with = |n: usize, cursor: &str| {
            let mut page = value.clone();
            if let Some(Value::Array(a)) = page.pointer_mut(&path) {
                a.truncate(n);
            }
            if let Value::Object(m) = &mut page {
                m.insert(
                    "continuation".into(),
                    continuation(cursor, &path, 0, n, total, self.max_bytes),
                );
            }
            page
        };
        // The most items that fit, by bisection (the cursor's length is bounded, so a placeholder measures it).
        let placeholder = PLACEHOLDER;
        let (mut lo, mut hi) = (0usize, total - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if size(&with(mid, placeholder)) <= self.max_bytes {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo == 0 {
            return None;
        }
        let cursor = self.store(Rest::Items {
            path: path.clone(),
            items: items[lo..].to_vec(),
            offset: lo,
            total,
        });
        Some(with(lo, &cursor))
    }

    fn text_page(&self, text: String, offset: usize) -> Value {
        let chunk = text_prefix(&text[offset..], self.max_bytes).to_string();
        let end = offset + chunk.len();
        let mut page = json!({ "text": chunk, "from": offset, "totalBytes": text.len() });
        if end < text.len() {
            let total = text.len();
            let cursor = self.store(Rest::Text { text, offset: end });
            page["continuation"] = json!({
                "cursor": cursor,
                "note": format!(
                    "the result's JSON is {total} bytes, over the {}-byte response budget and with no list to page: \
                     bytes {offset}..{end} shown as text; call {MORE} with the cursor for the next part",
                    self.max_bytes
                ),
            });
        }
        page
    }

    /// The next page after `cursor` (each cursor works once), as a tool result.
    pub fn more(&self, cursor: &str) -> CallToolResult {
        match self.take(cursor) {
            None => CallToolResult::structured_error(json!({
                "error": "unknown_cursor",
                "message": format!("no continuation {cursor:?}: each cursor works once, and only the last {MAX_STORED} are kept"),
            })),
            Some(Rest::Text { text, offset }) => {
                CallToolResult::structured(self.text_page(text, offset))
            }
            Some(Rest::Items {
                path,
                items,
                offset,
                total,
            }) => CallToolResult::structured(self.items_page(path, items, offset, total)),
        }
    }

    fn items_page(
        &self,
        path: String,
        mut items: Vec<Value>,
        offset: usize,
        total: usize,
    ) -> Value {
        let page = |n: usize, items: &[Value], cursor: Option<&str>| {
            let mut out =
                json!({ "path": path, "from": offset, "items": items[..n], "total": total });
            if let Some(cursor) = cursor {
                out["continuation"] = continuation(cursor, &path, offset, n, total, self.max_bytes);
            }
            out
        };
        // At least one item; then as many as fit with the continuation the page will carry.
        let mut n = 1;
        while n < items.len()
            && size(&page(
                n + 1,
                &items,
                (n + 1 < items.len()).then_some(PLACEHOLDER),
            )) <= self.max_bytes
        {
            n += 1;
        }
        let rest = items.split_off(n);
        if rest.is_empty() {
            return page(n, &items, None);
        }
        let cursor = self.store(Rest::Items {
            path: path.clone(),
            items: rest,
            offset: offset + n,
            total,
        });
        page(n, &items, Some(&cursor))
    }
}

/// As long as any cursor, to measure a page before its cursor exists.
const PLACEHOLDER: &str = "page-18446744073709551615";

fn continuation(
    cursor: &str,
    path: &str,
    from: usize,
    shown: usize,
    total: usize,
    max: usize,
) -> Value {
    json!({
        "cursor": cursor,
        "path": path,
        "shown": shown,
        "total": total,
        "note": format!(
            "cut to fit the {max}-byte response budget: items {from}..{} of {total} of the list at {path} are shown; \
             call {MORE} with the cursor for the next page",
            from + shown
        ),
    })
}

fn finish(value: Value, is_error: bool) -> CallToolResult {
    if is_error {
        CallToolResult::structured_error(value)
    } else {
        CallToolResult::structured(value)
    }
}

/// `more_results`' arguments.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct MoreArgs {
    /// The `continuation.cursor` of a cut result.
    pub cursor: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_is_paged_and_every_item_arrives_once() {
        let budget = Budget::new(400);
        let items: Vec<Value> = (0..50).map(|i| json!({"id": format!("{i:019}")})).collect();
        let first = budget.fit(CallToolResult::structured(
            json!({"orders": items, "n": 50}),
        ));
        let v = first.structured_content.unwrap();
        assert!(size(&v) <= 400, "{v}");
        let mut seen: Vec<Value> = v["orders"].as_array().unwrap().clone();
        let mut cursor = v["continuation"]["cursor"].as_str().map(String::from);
        while let Some(c) = cursor {
            let page = budget.more(&c).structured_content.unwrap();
            assert!(size(&page) <= 400, "{page}");
            seen.extend(page["items"].as_array().unwrap().iter().cloned());
            cursor = page["continuation"]["cursor"].as_str().map(String::from);
            assert_eq!(budget.more(&c).is_error, Some(true), "a cursor works once");
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn when_the_largest_list_cannot_be_cut_to_fit_a_list_inside_it_is() {
        let budget = Budget::new(600);
        let hits: Vec<Value> = (0..50).map(|i| json!({"id": format!("{i:019}")})).collect();
        let value =
            json!({"results": [{"provider": "a", "hits": hits}, {"provider": "b", "hits": []}]});
        let page = budget
            .fit(CallToolResult::structured(value))
            .structured_content
            .unwrap();
        assert!(size(&page) <= 600, "{page}");
        assert_eq!(page["continuation"]["path"], "/results/0/hits", "{page}");
        assert_eq!(page["results"][1]["provider"], "b", "the rest is whole");
    }

    #[test]
    fn a_result_without_a_list_is_sent_as_text_pages() {
        let budget = Budget::new(100);
        let value = json!({"note": "x".repeat(250)});
        let first = budget.fit(CallToolResult::structured(value.clone()));
        let mut v = first.structured_content.unwrap();
        let mut text = String::new();
        loop {
            text.push_str(v["text"].as_str().unwrap());
            match v["continuation"]["cursor"].as_str() {
                Some(c) => v = budget.more(c).structured_content.unwrap(),
                None => break,
            }
        }
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }
}
