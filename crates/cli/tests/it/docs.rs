//! Every `sourcing …` command written in the README, docs/ and the crate READMEs parses as the CLI defines it
//! today (flags, subcommands, values): a renamed flag or command fails here, naming the page and the line.
//! Commands are taken from ```sh blocks (also `cargo run -p sourcing-cli -- …`), with shell variables
//! replaced by a placeholder, pipes, redirections and comments cut, continuation lines joined. The README's
//! purchase walk also runs for real (walk.rs).

use std::path::{Path, PathBuf};

fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut pages = vec![root.join("README.md")];
    for dir in [
        "docs",
        "crates/cli",
        "crates/ledger",
        "crates/sandbox",
        "crates/webhooks",
        "crates/buy",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages
}

/// The commands of a page's ```sh blocks, continuation lines joined.
fn commands(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = trimmed == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let (start, mut text) = match pending.take() {
            Some((start, before)) => (start, format!("{before} {trimmed}")),
            None => (n + 1, trimmed.to_string()),
        };
        if text.ends_with('\\') {
            text.pop();
            pending = Some((start, text));
            continue;
        }
        out.push((start, text));
    }
    out
}

/// Shell words of a command line: quotes removed, `$VAR`/`$(…)` replaced, cut at `|`, `>`, `#`, `&`, `;`.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '$') => {
                // A variable or a command substitution stands for one value: an id, or an address where the
                // variable names one (`$RECEIVER`, `$…URL`).
                let mut name = String::new();
                if chars.peek() == Some(&'(') {
                    let mut depth = 0;
                    for c in chars.by_ref() {
                        depth += (c == '(') as i32 - (c == ')') as i32;
                        if depth == 0 {
                            break;
                        }
                    }
                } else {
                    while let Some(c) = chars.next_if(|c| c.is_alphanumeric() || *c == '_') {
                        name.push(c);
                    }
                }
                word.push_str(if name.contains("RECEIVER") || name.ends_with("URL") {
                    "http://127.0.0.1:8090/"
                } else {
                    "3300504350583134260"
                });
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '|' | '>' | '#' | '&' | ';') => break,
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The `sourcing` argument vector a documented line runs, if it runs one.
fn argv(line: &str) -> Option<Vec<String>> {
    let words = words(line);
    let rest = match words.first().map(String::as_str) {
        Some("sourcing") => &words[1..],
        Some("cargo") if words.iter().any(|w| w == "sourcing-cli") => {
            let dashes = words.iter().position(|w| w == "--")?;
            &words[dashes + 1..]
        }
        _ => return None,
    };
    Some(
        std::iter::once("sourcing".to_string())
            .chain(rest.iter().cloned())
            .collect(),
    )
}

#[test]
fn every_documented_command_parses() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (line, command) in commands(&text) {
            let Some(argv) = argv(&command) else {
                continue;
            };
            let args = sourcing_cli::app::hoist(argv.iter().map(std::ffi::OsString::from));
            checked += 1;
            if let Err(e) = sourcing_cli::app::command().try_get_matches_from(args) {
                use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
                if !matches!(e.kind(), DisplayHelp | DisplayVersion) {
                    let first = e.to_string().lines().next().unwrap_or_default().to_string();
                    failures.push(format!("{}:{line}: `{command}`: {first}", page.display()));
                }
            }
        }
    }
    assert!(checked > 30, "only {checked} documented commands found");
    assert!(
        failures.is_empty(),
        "documented commands the CLI refuses:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_command_reader_handles_quotes_variables_and_pipes() {
    assert_eq!(
        argv(r#"sourcing ledger show "$ORDER" | jq -r '.order.state'   # paid"#).unwrap(),
        ["sourcing", "ledger", "show", "3300504350583134260"]
    );
    assert_eq!(
        argv(r#"sourcing sandbox callback pandapon "$RECEIVER" > /dev/null"#).unwrap(),
        [
            "sourcing",
            "sandbox",
            "callback",
            "pandapon",
            "http://127.0.0.1:8090/"
        ]
    );
    assert_eq!(
        argv("cargo run -p sourcing-cli -- sandbox --port 8080 --fault 'order_pay_url=503:2'")
            .unwrap(),
        [
            "sourcing",
            "sandbox",
            "--port",
            "8080",
            "--fault",
            "order_pay_url=503:2"
        ]
    );
    assert_eq!(argv("export X=1"), None);
}
