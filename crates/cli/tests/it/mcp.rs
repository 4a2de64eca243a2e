//! `sourcing mcp`, the binary: a piped `initialize` + `tools/list` exchange (default list and `--toolsets all`),
//! `--live` serving only the providers with credentials and never showing them, and the README's tool counts.
//! The server's own tests (in-process clients): crates/mcp/tests/it.

use serde_json::{Map, Value, json};
use sourcing_mcp::{Guard, tool_name};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

/// The tool names every provider's operations give at `guard`.
fn names_at(guards: &[Guard]) -> BTreeSet<String> {
    sourcing_registry::providers()
        .iter()
        .flat_map(|p| p.operations.iter().map(move |op| (p, op)))
        .filter(|(_, op)| guards.contains(&Guard::of(op)))
        .map(|(p, op)| tool_name(p, op))
        .collect()
}

/// The names of the listed operation tools (`<provider>_…`), leaving out the discovery tools.
fn operation_names<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names
        .into_iter()
        .filter(|n| {
            sourcing_registry::providers()
                .iter()
                .any(|p| n.starts_with(&format!("{}_", p.name)))
        })
        .map(String::from)
        .collect()
}

/// JSON-RPC lines piped into the `sourcing mcp` binary, stdin closed after them; the answers by id.
fn exchange(args: &[&str], env: &[(&str, &str)], lines: &[Value]) -> (Map<String, Value>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sourcing"));
    cmd.arg("mcp")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for p in ["PANDAPON", "DAJISAAS", "XPORTCN"] {
        for k in [
            "ACCESS_KEY",
            "ACCESS_SECRET",
            "USER_ID",
            "APP_KEY",
            "APP_SECRET",
            "BASE_URL",
        ] {
            cmd.env_remove(format!("{p}_{k}"));
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run sourcing mcp");
    {
        let mut stdin = child.stdin.take().unwrap();
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let mut answers = Map::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stdout carries only JSON-RPC: {e}: {line}"));
        if let Some(id) = v.get("id") {
            answers.insert(id.to_string(), v);
        }
    }
    (answers, format!("{stdout}\n{stderr}"))
}

fn handshake() -> Vec<Value> {
    vec![
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "printf", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    ]
}

/// `initialize` + `tools/list` piped into `sourcing mcp`: by default the workflow and discovery tools (at
/// most 15); with `--toolsets all` also the read-only tools of all three providers, all with valid input
/// schemas.
#[test]
fn piped_initialize_and_tools_list_gives_the_default_list_and_every_toolset_on_request() {
    let mut lines = handshake();
    lines.push(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "buy_preview", "arguments": {"provider": "all", "address": {
            "full_name": "Zhang San", "mobile": "18600888861", "phone": "18600888861", "post_code": "310000",
            "province": "浙江省", "city": "杭州市", "district": "西湖区", "town": "转塘街道",
            "street": "转塘街道 1 号", "district_code": "330106"},
            "lines": [{"offer_id": "672991141190", "spec_id": "cd2b8c31408766f9fb089e74e2a6ac15", "quantity": 2}],
            "external_order_id": "PIPE-1"}}}));
    let (answers, _) = exchange(&[], &[], &lines);
    let results = answers["3"]["result"]["structuredContent"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", answers["3"]));
    let providers: Vec<&str> = results
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(
        providers,
        ["pandapon", "dajisaas", "xportcn"],
        "one answer per provider"
    );
    assert_eq!(answers["1"]["result"]["serverInfo"]["name"], "sourcing");
    let tools = answers["2"]["result"]["tools"].as_array().expect("tools");
    assert!(tools.len() <= 15, "{}", tools.len());
    assert!(tools.iter().any(|t| t["name"] == "buy_search"));
    assert!(tools.iter().any(|t| t["name"] == "enable_toolset"));
    for t in tools {
        jsonschema::meta::validate(&t["inputSchema"]).unwrap();
    }

    let (answers, _) = exchange(&["--toolsets", "all"], &[], &handshake());
    let tools = answers["2"]["result"]["tools"].as_array().expect("tools");
    let names = operation_names(tools.iter().map(|t| t["name"].as_str().unwrap()));
    assert_eq!(names, names_at(&[Guard::Read]));
    for p in ["pandapon_", "dajisaas_", "xportcn_"] {
        assert!(names.iter().any(|n| n.starts_with(p)), "{p}");
    }
    for t in tools {
        jsonschema::meta::validate(&t["inputSchema"]).unwrap();
    }

    // An unknown toolset is a usage error naming the valid ones.
    let out = Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args(["mcp", "--toolsets", "buy,nope"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("valid: buy, ledger, pandapon"));
}

/// `--live` serves only the providers with credentials, calls their base URL (here a sandbox standing in
/// for the provider), and shows the credentials nowhere: not in tools, results, stdout or stderr.
#[tokio::test(flavor = "multi_thread")]
async fn live_serves_the_providers_with_credentials_and_never_shows_them() {
    use sourcing_sandbox::credentials as c;
    let sandbox = sourcing_sandbox::Sandbox::start().await.unwrap();
    let base = sandbox.base_url("pandapon");
    let mut lines = handshake();
    lines.push(
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "pandapon_goods_keyword_search", "arguments": {"keyword": "phone case"}}}),
    );
    let (answers, output) = tokio::task::spawn_blocking(move || {
        let env = [
            ("PANDAPON_ACCESS_KEY", c::ACCESS_KEY),
            ("PANDAPON_ACCESS_SECRET", c::ACCESS_SECRET),
            ("PANDAPON_USER_ID", c::USER_ID),
            ("PANDAPON_BASE_URL", base.as_str()),
        ];
        exchange(&["--live", "--toolsets", "all"], &env, &lines)
    })
    .await
    .unwrap();
    let names = operation_names(
        answers["2"]["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap()),
    );
    let pandapon_reads: BTreeSet<String> = names_at(&[Guard::Read])
        .into_iter()
        .filter(|n| n.starts_with("pandapon_"))
        .collect();
    assert_eq!(names, pandapon_reads, "only the provider with credentials");
    assert_eq!(answers["3"]["result"]["isError"], false, "{}", answers["3"]);
    assert!(
        output
            .contains("dajisaas not served: DAJISAAS_APP_KEY and DAJISAAS_APP_SECRET are not set"),
        "{output}"
    );
    assert!(
        !output.contains(c::ACCESS_SECRET),
        "the secret never appears"
    );

    // --live without any credentials refuses to start (exit 3), naming why.
    let out = Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args(["mcp", "--live"])
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no provider has credentials"));

    // Global flags that mean nothing to `mcp` are refused, not ignored.
    for args in [
        &["--base-url", "http://127.0.0.1:1", "mcp"][..],
        &["-o", "table", "mcp"],
        &["--sandbox", "mcp", "--live"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sourcing"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// The tool counts the README gives per provider and guard level are the operation tables'.
#[test]
fn readme_tool_counts_match_the_tables() {
    let readme = include_str!("../../README.md");
    let count = |prefix: &str, guard: Guard| {
        names_at(&[guard])
            .iter()
            .filter(|n| n.starts_with(prefix))
            .count()
    };
    for (title, prefix) in [
        ("PandaPon", "pandapon_"),
        ("Dajisaas", "dajisaas_"),
        ("Xportcn", "xportcn_"),
    ] {
        let row = format!(
            "| {title} | {} | {} | {} |",
            count(prefix, Guard::Read),
            count(prefix, Guard::Write),
            count(prefix, Guard::Payment)
        );
        assert!(readme.contains(&row), "README lacks the row {row}");
    }
    let all = format!(
        "| **all** | **{}** | **{}** | **{}** |",
        count("", Guard::Read),
        count("", Guard::Write),
        count("", Guard::Payment)
    );
    assert!(readme.contains(&all), "README lacks the row {all}");
}
