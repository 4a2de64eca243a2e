//! The options commands share: each command offers those that mean something to it (`--sandbox`, `--config`,
//! `--base-url`, `--output`), takes them before or after its name, and refuses the others as usage errors;
//! `--output` prints the same answer as JSON, JSON lines or a table.

use serde_json::Value;
use std::process::{Command, Output, Stdio};

fn sourcing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run sourcing")
}

fn stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A read with a flag (the sandbox answers it from the schema, the same for the same request).
const READ_CALL: &[&str] = &[
    "pandapon",
    "v2-taobao-order-logistics-detail",
    "--sub-purchase-order-id",
    "2257455039610311973",
];

#[test]
fn options_go_before_or_after_the_command() {
    let before = stdout(&sourcing(
        &[&["--sandbox", "-o", "json-lines"], READ_CALL].concat(),
    ));
    let after = stdout(&sourcing(
        &[READ_CALL, &["--sandbox", "--output=json-lines"]].concat(),
    ));
    let between = stdout(&sourcing(
        &[
            &READ_CALL[..1],
            &["--sandbox", "-ojson-lines"],
            &READ_CALL[1..],
        ]
        .concat(),
    ));
    assert_eq!(before, after);
    assert_eq!(before, between);
    assert_eq!(before.lines().count(), 1, "one compact line: {before}");
    let answer: Value = serde_json::from_str(&before).unwrap();
    assert!(answer.is_object() || answer.is_array(), "{answer}");
}

#[test]
fn buy_prints_one_line_per_provider_one_array_or_one_table() {
    let args = |format: &'static str| {
        [
            "--sandbox",
            "buy",
            "detail",
            "--provider",
            "all",
            "--product",
            "623686863670",
            "-o",
            format,
        ]
    };
    let exit_of = |out: &Output| out.status.code();
    let lines = sourcing(&args("json-lines"));
    let array = sourcing(&args("json"));
    let table = sourcing(&args("table"));
    assert_eq!(exit_of(&lines), exit_of(&array));
    assert_eq!(exit_of(&lines), exit_of(&table));
    let lines: Vec<Value> = String::from_utf8_lossy(&lines.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let array: Value = serde_json::from_slice(&array.stdout).unwrap();
    assert_eq!(Value::Array(lines.clone()), array, "the same items");
    assert_eq!(lines.len(), 3);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows.len() >= 2 + 3, "header, rule, rows of each provider: {table}");
    assert!(rows[0].starts_with("provider "), "{table}");
    for line in &lines {
        let provider = line["provider"].as_str().unwrap();
        assert!(
            rows[2..].iter().any(|row| row.starts_with(provider)),
            "no row of {provider}: {table}"
        );
    }
}

#[test]
fn commands_refuse_the_options_they_do_not_offer() {
    for args in [
        &["--sandbox", "webhooks", "--provider", "xportcn"][..],
        &["webhooks", "--provider", "xportcn", "-o", "json"],
        &["sandbox", "--config", "x.env"],
        &["-o", "table", "sandbox"],
        &["--base-url", "http://127.0.0.1:1", "mcp"],
        &["mcp", "--output", "json"],
    ] {
        let out = sourcing(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unexpected argument"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = sourcing(&[&["-o", "yaml"], READ_CALL].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("json-lines"));
}

/// Each command's `--help` lists exactly the shared options it takes.
#[test]
fn help_shows_the_options_each_command_takes() {
    let options = ["--sandbox", "--config", "--base-url", "--output"];
    for (command, offered) in [
        (&["pandapon", "order-pay-url"][..], &options[..]),
        (&["buy", "status"], &options[..]),
        (&["mcp"], &["--sandbox", "--config"]),
        (&["webhooks"], &["--config"]),
        (&["sandbox"], &[]),
    ] {
        let help = stdout(&sourcing(&[command, &["--help"]].concat()));
        for option in options {
            assert_eq!(
                help.split_whitespace().any(|word| word == option),
                offered.contains(&option),
                "{command:?} --help and {option}: {help}"
            );
        }
    }
}

/// `-o table` shows each answer's substance: search hits as rows, a preview's totals per order with their
/// money unit, the answer's columns in the stated order (provider first); `-o csv` the same rows, amounts
/// as numbers under a header naming the unit.
#[test]
fn tables_show_hits_and_totals() {
    let search = stdout(&sourcing(&[
        "--sandbox",
        "buy",
        "search",
        "--provider",
        "pandapon",
        "--keyword",
        "phone case",
        "-o",
        "table",
    ]));
    let rows: Vec<&str> = search.lines().collect();
    assert!(rows[0].starts_with("provider  "), "{search}");
    assert!(rows[0].contains("title"), "{search}");
    assert!(rows.len() > 2, "a row per hit: {search}");
    assert!(
        rows[2..].iter().all(|r| r.starts_with("pandapon")),
        "{search}"
    );
    assert!(rows[2].contains("sandbox item"), "{search}");
    assert!(
        !search.contains("raw"),
        "the vendor's raw answer is left out: {search}"
    );

    let preview = |format: &str| {
        stdout(&sourcing(&[
            "--sandbox",
            "buy",
            "preview",
            "--provider",
            "xportcn",
            "--line",
            "672991141190:cd2b8c31408766f9fb089e74e2a6ac15:2",
            "--full-name",
            "a",
            "--mobile",
            "1",
            "--province",
            "p",
            "--city",
            "c",
            "--street",
            "s",
            "-o",
            format,
        ]))
    };
    let table = preview("table");
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    let at = |c: &str| {
        header
            .iter()
            .position(|h| *h == c)
            .unwrap_or_else(|| panic!("{c}: {table}"))
    };
    assert!(
        at("provider") < at("goods") && at("goods") < at("freight") && at("freight") < at("total")
    );
    // The sandbox's preview adds up: goods + freight = total, in the stated column order.
    let row = table.lines().nth(2).unwrap();
    let amounts: Vec<f64> = row
        .split("CNY")
        .filter_map(|part| part.split_whitespace().last()?.parse().ok())
        .collect();
    assert!(amounts.len() >= 3, "{table}");
    let fen = |yuan: f64| (yuan * 100.0).round() as i64;
    assert_eq!(fen(amounts[0]) + fen(amounts[1]), fen(amounts[2]), "{table}");
    let csv = preview("csv");
    let mut records = csv.split("\r\n");
    assert!(
        records
            .next()
            .unwrap()
            .starts_with("provider,goods (CNY),freight (CNY),total (CNY)"),
        "{csv}"
    );
    // Plain numbers under the unit's header, adding up as in the table.
    let row: Vec<&str> = records.next().unwrap().split(',').collect();
    assert_eq!(row[0], "xportcn", "{csv}");
    let fen = |text: &str| (text.parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(fen(row[1]) + fen(row[2]), fen(row[3]), "{csv}");
}
