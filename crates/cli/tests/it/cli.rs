//! `sourcing` end to end: help lists every provider and operation, calls against the sandbox (output
//! snapshots), and exit codes for usage, configuration, transport and business errors.

use sourcing_sandbox::{Fault, FaultRule, Sandbox, credentials};
use std::process::{Command, Output};

fn sourcing(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sourcing"));
    // No configuration file of the machine's user: XDG_CONFIG_HOME where there is none.
    cmd.args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent/sourcing-tests")
        // Each call its own default ledger and sandbox state: raw payments are journaled, and one
        // call's record must not refuse another's payment.
        .env("XDG_DATA_HOME", fresh_data_home())
        .env_remove("SOURCING_STORE")
        .env_remove("SOURCING_SANDBOX_STATE")
        .env_remove("SOURCING_CONFIG")
        .env_remove("SOURCING_PROFILE")
        .env_remove("PANDAPON_ACCESS_KEY")
        .env_remove("PANDAPON_ACCESS_SECRET");
    cmd.env_remove("PANDAPON_USER_ID")
        .env_remove("PANDAPON_BASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sourcing")
}

fn fresh_data_home() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "sourcing-cli-calls-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_lists_every_provider_and_operation() {
    let out = sourcing(&["--help"], &[]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for p in sourcing_registry::providers() {
        assert!(help.contains(p.name), "{} missing from --help", p.name);
        let out = sourcing(&[p.name, "--help"], &[]);
        let sub = text(&out.stdout);
        for op in p.operations {
            assert!(
                sub.contains(&op.id.replace('_', "-")),
                "{} missing from {} --help",
                op.id,
                p.name
            );
        }
    }
    assert!(help.contains("Exit codes"));
    let op_help = text(&sourcing(&["pandapon", "order-pay-url", "--help"], &[]).stdout);
    assert!(
        op_help.contains("--order-id")
            && op_help
                .contains("(effect: pay — moves money or returns a payment link; never retried)"),
        "{op_help}"
    );
    let read_help = text(&sourcing(&["pandapon", "order-detail", "--help"], &[]).stdout);
    assert!(
        read_help.contains("(effect: read — changes nothing; retried on transient failures)"),
        "{read_help}"
    );
}

/// Operations known only from third-party clients are marked in the provider's list and in their own help.
#[test]
fn help_marks_unconfirmed_operations() {
    let mut marked = 0;
    for p in sourcing_registry::providers() {
        let list = text(&sourcing(&[p.name, "--help"], &[]).stdout);
        for op in p.operations {
            let name = op.id.replace('_', "-");
            let line = list
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} missing from {} --help", p.name));
            assert_eq!(
                line.contains("[unconfirmed]"),
                op.is_unconfirmed(),
                "{}: {line}",
                p.name
            );
            if op.is_unconfirmed() {
                marked += 1;
                let help = text(&sourcing(&[p.name, &name, "--help"], &[]).stdout);
                assert!(
                    help.contains("Unconfirmed by the vendor: known only from third-party clients"),
                    "{help}"
                );
            }
        }
    }
    assert_eq!(marked, 5);
    let list = text(&sourcing(&["--help"], &[]).stdout);
    assert!(list.contains("3 [unconfirmed]"), "{list}");
}

#[test]
fn calls_the_embedded_sandbox() {
    let out = sourcing(&["--sandbox", "pandapon", "v2-cart-list"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("cli__v2_cart_list_json", text(&out.stdout));
    });

    // The sandbox pays only orders it knows: a business error (exit 5) naming the order.
    let out = sourcing(
        &[
            "--sandbox",
            "pandapon",
            "v2-order-pay-url",
            "--order-id",
            "2257455039610311973",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("order 2257455039610311973 does not exist"),
        "{}",
        text(&out.stderr)
    );

    let out = sourcing(
        &[
            "--sandbox",
            "-o",
            "table",
            "pandapon",
            "order-batch-submit-to-pay",
            "--order-ids",
            r#"["2059624776425880794"]"#,
        ],
        &[],
    );
    // The documented answer lists a failed order: a partial failure (exit 5), its answer still printed.
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("batch partly failed"),
        "{}",
        text(&out.stderr)
    );
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("cli__batch_submit_table", text(&out.stdout));
    });
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        sourcing(&["pandapon", "no-such-op"], &[]).status.code(),
        Some(2)
    );
    let out = sourcing(&["--sandbox", "pandapon", "order-pay-url"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--order-id is required"),
        "{}",
        text(&out.stderr)
    );
    let out = sourcing(
        &[
            "--sandbox",
            "pandapon",
            "order-batch-submit-to-pay",
            "--order-ids",
            "[oops",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--order-ids: not valid JSON"));
    assert_eq!(
        sourcing(&["sandbox", "--fault", "x=teapot"], &[])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn missing_credentials_exit_3_and_secrets_are_never_printed() {
    let out = sourcing(&["pandapon", "order-pay-url", "--order-id", "1"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains(
            "PANDAPON_ACCESS_KEY, PANDAPON_ACCESS_SECRET and PANDAPON_USER_ID are not set"
        ),
        "{}",
        text(&out.stderr)
    );

    let dir = std::env::temp_dir().join(format!("sourcing-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("creds.env");
    std::fs::write(
        &config,
        "PANDAPON_ACCESS_KEY=k\nPANDAPON_ACCESS_SECRET=very-secret-value\n",
    )
    .unwrap();
    let out = sourcing(
        &[
            "--config",
            config.to_str().unwrap(),
            "pandapon",
            "order-pay-url",
            "--order-id",
            "1",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "user id still missing");
    assert!(text(&out.stderr).contains("PANDAPON_USER_ID"));
    assert!(!text(&out.stderr).contains("very-secret-value"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn transport_and_business_errors_have_their_own_exit_codes() {
    let sandbox = Sandbox::start().await.unwrap();
    // The sandbox pays only orders it knows.
    sandbox.seed_order("1");
    let base = sandbox.base_url("pandapon");
    let env = [
        ("PANDAPON_ACCESS_KEY", credentials::ACCESS_KEY),
        ("PANDAPON_ACCESS_SECRET", credentials::ACCESS_SECRET),
        ("PANDAPON_USER_ID", credentials::USER_ID),
    ];
    let run = |args: Vec<String>, env: Vec<(&'static str, &'static str)>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            sourcing(&args, &env)
        })
    };
    let call = |base: &str| {
        [
            "--base-url",
            base,
            "pandapon",
            "order-pay-url",
            "--order-id",
            "1",
            "--yes",
        ]
        .map(String::from)
        .to_vec()
    };

    let ok = run(call(&base), env.to_vec()).await.unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

    sandbox.inject(FaultRule::times(
        Some("order_pay_url"),
        Fault::Business {
            code: 1009,
            message: "余额不足".into(),
        },
        1,
    ));
    let out = run(call(&base), env.to_vec()).await.unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(text(&out.stderr).contains("1009") && text(&out.stderr).contains("余额不足"));

    let wrong = vec![
        ("PANDAPON_ACCESS_KEY", credentials::ACCESS_KEY),
        ("PANDAPON_ACCESS_SECRET", "wrong-secret-value"),
        ("PANDAPON_USER_ID", credentials::USER_ID),
    ];
    let out = run(call(&base), wrong).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "HTTP 401 is not a business code"
    );
    assert!(text(&out.stderr).contains("signature mismatch"));
    assert!(!text(&out.stderr).contains("wrong-secret-value"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    // A payment without an answer may have gone through: exit 7, recorded unknown in the ledger.
    let out = run(call(&closed), env.to_vec()).await.unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("transport error"));
    assert!(text(&out.stderr).contains("MAY HAVE BEEN PAID"));
    // A read without an answer is a transport error.
    let read = ["--base-url", closed.as_str(), "pandapon", "v2-cart-list"]
        .map(String::from)
        .to_vec();
    let out = run(read, env.to_vec()).await.unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("transport error"));
}

/// The webhooks crate's callback formats are named as the registry's providers (it does not read the
/// registry: that would make it depend on every generated client), and `--provider` takes them from the
/// registry. A provider that publishes no callbacks is in the registry only.
#[test]
fn webhooks_providers_are_the_registrys_providers() {
    let registry: Vec<&str> = sourcing_registry::providers()
        .iter()
        .map(|p| p.name)
        .collect();
    let receivable: Vec<&str> = sourcing_registry::callback_formats()
        .map(|(name, _)| name)
        .collect();
    assert!(!receivable.is_empty());
    for name in &receivable {
        assert!(registry.contains(name), "{name} is not in the registry");
    }
    // Dajisaas signs its pushes with its app secret, read from the registry's env prefix.
    let out = sourcing(&["webhooks", "--provider", "dajisaas"], &[]);
    assert!(
        text(&out.stderr).contains("DAJISAAS_APP_SECRET is not set"),
        "{}",
        text(&out.stderr)
    );
    let out = sourcing(&["webhooks", "--provider", "nobody"], &[]);
    for name in receivable {
        assert!(text(&out.stderr).contains(name), "{}", text(&out.stderr));
    }
}

#[test]
fn webhooks_receiver_prints_callbacks_and_acknowledges() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args([
            "webhooks",
            "--provider",
            "xportcn",
            "--port",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vendor-docs/examples/xportcn/webhook-order-pay-success.request.json");
    let body = std::fs::read(&fixture).unwrap();
    let send = |body: &[u8]| -> String {
        use std::io::{Read, Write};
        for _ in 0..100 {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let head = format!(
                    "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                s.write_all(head.as_bytes()).unwrap();
                s.write_all(body).unwrap();
                let mut reply = String::new();
                s.read_to_string(&mut reply).unwrap();
                return reply;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("receiver did not start");
    };
    assert!(send(&body).starts_with("HTTP/1.1 200"));
    assert!(
        send(&body).starts_with("HTTP/1.1 200"),
        "a duplicate is acknowledged"
    );
    assert!(send(b"{not json").starts_with("HTTP/1.1 400"));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(
        lines.len(),
        1,
        "printed once despite the redelivery: {lines:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["provider"], "xportcn");
}

/// Every provider can be called through the CLI (against the sandbox), so no provider is left unwired;
/// documented limits are refused before sending (exit 6).
#[test]
fn every_provider_is_callable_and_limits_are_checked() {
    for p in sourcing_registry::providers() {
        let op = p
            .operations
            .iter()
            // Order operations answer only orders the sandbox knows: not these.
            .find(|o| {
                !o.has_body
                    && o.flow_role.is_none()
                    && o.params
                        .iter()
                        .all(|p| !p.required || p.kind == sourcing_runtime::ParamKind::String)
            })
            .or_else(|| {
                p.operations.iter().find(|o| {
                    o.has_body && o.flow_role.is_none() && o.params.iter().all(|p| !p.required)
                })
            })
            .unwrap_or_else(|| panic!("{}: no operation callable without inputs", p.name));
        let mut args = vec![
            "--sandbox".to_string(),
            p.name.to_string(),
            op.id.replace('_', "-"),
        ];
        for prm in op.params.iter().filter(|prm| prm.required) {
            args.push(format!(
                "--{}",
                prm.name
                    .chars()
                    .flat_map(|c| if c.is_ascii_uppercase() {
                        vec!['-', c.to_ascii_lowercase()]
                    } else {
                        vec![c]
                    })
                    .collect::<String>()
            ));
            args.push("1".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sourcing(&args, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{} {}: {}",
            p.name,
            op.id,
            text(&out.stderr)
        );
    }
    let ids: Vec<String> = (0..31).map(|i| i.to_string()).collect();
    let out = sourcing(
        &[
            "--sandbox",
            "dajisaas",
            "pay-urls",
            "--order-id-list",
            &ids.join(","),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("orderIdList has 31 items"),
        "{}",
        text(&out.stderr)
    );
}

/// `-v` logs each call's span, request line and status to stderr; `-vv` adds headers (values redacted) and
/// the body prefix; neither shows a secret or a signature, and stdout stays the JSON result.
#[test]
fn verbose_logs_calls_without_secrets() {
    use sourcing_sandbox::credentials::{ACCESS_SECRET, APP_SECRET};
    for (flag, present, absent) in [
        (
            "-v",
            &["sourcing.call", "request method=GET", "status=200"][..],
            &["request headers"][..],
        ),
        (
            "-vv",
            &[
                "request headers",
                "\"signature\": \"<redacted>\"",
                "response body",
            ][..],
            &[][..],
        ),
    ] {
        let out = sourcing(
            &[
                "--sandbox",
                "pandapon",
                "v2-taobao-order-logistics-detail",
                "--sub-purchase-order-id",
                "1",
                flag,
            ],
            &[("RUST_LOG", "")],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let log = text(&out.stderr);
        for s in present {
            assert!(log.contains(s), "{flag}: {s:?} not in {log}");
        }
        for s in absent.iter().chain(&[ACCESS_SECRET, APP_SECRET]) {
            assert!(!log.contains(s), "{flag}: {s:?} in {log}");
        }
        assert!(text(&out.stdout).starts_with('{'), "stdout is the result");
    }
}

/// `--help` of every operation of every provider renders (in a debug build clap asserts that no two
/// arguments share a flag, so this panicked for PandaPon `refund-info`, whose `refundId` is a query parameter
/// and a body field). The two `refundId`s get distinct flags named as in the input schema (`refundId`,
/// `body_refundId`).
#[test]
fn every_operation_help_renders_with_distinct_flags() {
    for p in sourcing_registry::providers() {
        for op in p.operations {
            let out = sourcing(&[p.name, &op.id.replace('_', "-"), "--help"], &[]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{} {}: {}",
                p.name,
                op.id,
                text(&out.stderr)
            );
            assert!(
                text(&out.stdout).contains(op.summary),
                "{} {}",
                p.name,
                op.id
            );
        }
    }
    let help = text(&sourcing(&["pandapon", "refund-info", "--help"], &[]).stdout);
    assert!(
        help.contains("--refund-id ") && help.contains("--body-refund-id"),
        "{help}"
    );
    // Each flag goes where it says: the query one into the query string, the body one into the body
    // (the sandbox checks the body field's type; both are accepted).
    let out = sourcing(
        &[
            "--sandbox",
            "pandapon",
            "refund-info",
            "--refund-id",
            "1",
            "--body-refund-id",
            "2",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Error output shows the whole body prefix the error kept (4 KiB), not a 200-character excerpt.
#[test]
fn error_output_keeps_the_4_kib_body_prefix() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 8192];
        let _ = s.read(&mut buf);
        let body = format!("<html>{}</html>", "y".repeat(6000));
        let _ = write!(
            s,
            "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let out = sourcing(
        &[
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "pandapon",
            "order-pay-url",
            "--order-id",
            "1",
            "--yes",
        ],
        &[
            ("PANDAPON_ACCESS_KEY", "k"),
            ("PANDAPON_ACCESS_SECRET", "s"),
            ("PANDAPON_USER_ID", "1"),
        ],
    );
    server.join().unwrap();
    // A payment answered by an HTTP error without the vendor's envelope may have gone through: exit 7.
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("response body (first 4096 of 6013 bytes)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("<html>{}", "y".repeat(4090))),
        "{err}"
    );
}

/// `-v` records each span field once per call, even after a retry and a refusal (`attempt=1 … attempt=2`
/// and `request_id=… request_id=…` were both printed), and `-vv` shows the `timestamp` header (no secret).
#[tokio::test(flavor = "multi_thread")]
async fn verbose_span_fields_are_not_repeated_and_the_timestamp_is_shown() {
    let sandbox = Sandbox::start().await.unwrap();
    let base = sandbox.base_url("pandapon");
    let env = [
        ("PANDAPON_ACCESS_KEY", credentials::ACCESS_KEY),
        ("PANDAPON_ACCESS_SECRET", credentials::ACCESS_SECRET),
        ("PANDAPON_USER_ID", credentials::USER_ID),
        ("RUST_LOG", ""),
    ];
    let run = |flag: &'static str| {
        let base = base.clone();
        tokio::task::spawn_blocking(move || {
            sourcing(
                &["--base-url", &base, "pandapon", "v2-cart-list", flag],
                &env,
            )
        })
    };
    // A transient 503, then a business refusal after the retry.
    sandbox.inject(FaultRule::times(
        Some("v2_cart_list"),
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        1,
    ));
    sandbox.inject(FaultRule::times(
        Some("v2_cart_list"),
        Fault::Business {
            code: 1009,
            message: "refused".into(),
        },
        1,
    ));
    let out = run("-v").await.unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    let close = log
        .lines()
        .find(|l| l.contains(" close "))
        .unwrap_or_else(|| panic!("no span close line in {log}"));
    for field in ["attempt=", "status=", "request_id=", "latency_ms="] {
        assert_eq!(close.matches(field).count(), 1, "{field} in {close}");
    }
    assert!(close.contains("attempt=2"), "{close}");
    assert!(log.contains("retrying"), "{log}");

    let out = run("-vv").await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    let headers = log.lines().find(|l| l.contains("request headers")).unwrap();
    assert!(headers.contains("\"timestamp\": \"1"), "{headers}");
    assert!(
        headers.contains("\"signature\": \"<redacted>\""),
        "{headers}"
    );
}

/// Usage lines name every required flag (`pandapon order-detail` said only `[OPTIONS]` though
/// `--web-site` is required), and every missing one is named at once.
#[test]
fn usage_lines_show_every_required_flag() {
    for p in sourcing_registry::providers() {
        for op in p.operations {
            let name = op.id.replace('_', "-");
            let help = text(&sourcing(&[p.name, &name, "--help"], &[]).stdout);
            let usage = help
                .lines()
                .find(|l| l.starts_with("Usage: "))
                .unwrap_or_else(|| panic!("{} {name}: no usage line", p.name));
            let flags = sourcing_cli::args::flags(op);
            for (param, flag) in op.params.iter().zip(flags) {
                assert_eq!(
                    usage.contains(&format!("--{flag} ")),
                    param.required,
                    "{} {name} --{flag}: {usage}",
                    p.name
                );
            }
        }
    }
    let help = text(&sourcing(&["pandapon", "order-detail", "--help"], &[]).stdout);
    assert!(
        help.contains("Usage: sourcing pandapon order-detail --web-site <STRING> [OPTIONS]"),
        "{help}"
    );
    let out = sourcing(&["--sandbox", "pandapon", "order-preview-batch"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--address-param (or that field in --body) and --cargo-param-list (or that field in --body) are required"),
        "{err}"
    );
}

/// `PandaPon` is `pandapon`; `--sandbox` with `--base-url` is a usage error, not silently the sandbox.
#[test]
fn provider_names_in_any_case_and_sandbox_with_base_url_refused() {
    let out = sourcing(&["--sandbox", "PandaPon", "v2-cart-list"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = sourcing(
        &["--sandbox", "probe", "--provider", "XportCN", "-o", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for args in [
        &[
            "--sandbox",
            "--base-url",
            "http://127.0.0.1:1",
            "pandapon",
            "v2-cart-list",
        ][..],
        &[
            "--sandbox",
            "--base-url",
            "http://127.0.0.1:1",
            "probe",
            "--provider",
            "pandapon",
        ],
    ] {
        let out = sourcing(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("--sandbox and --base-url exclude each other"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// `-o csv` parses as CSV with a header row; `-o table` shows the list an answer holds as rows in the
/// stated column order; output lost on a full disk is an error; a closed pipe is not.
#[test]
fn tables_csv_and_write_errors() {
    let batch = [
        "--sandbox",
        "pandapon",
        "order-batch-submit-to-pay",
        "--order-ids",
        r#"["2059624776425880794","2059624776425880795"]"#,
    ];
    let out = sourcing(&[&batch[..], &["-o", "csv"]].concat(), &[]);
    let csv = text(&out.stdout);
    let records: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(records[0], "orderId,successOrderIds,errorReason", "{csv}");
    assert_eq!(
        records.len(),
        3,
        "a header and one record per failed order: {csv}"
    );
    assert!(records[1].starts_with("2059624776425880794,—,"), "{csv}");

    // `> /dev/full`: exit 74, the error named; nothing else changes.
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_sourcing"))
            .args(["--sandbox", "pandapon", "v2-cart-list"])
            .env("XDG_CONFIG_HOME", "/nonexistent/sourcing-tests")
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(74), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("cannot write the output"),
            "{}",
            text(&out.stderr)
        );
    }
    // A reader that goes away (`| head -0`): exit 0, no error.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args(["man"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

/// Completions and the man page come from the command definitions: every provider is in them.
#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let out = sourcing(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        for p in sourcing_registry::providers() {
            assert!(script.contains(p.name), "{shell}: {} missing", p.name);
        }
        assert!(script.contains("order-detail"), "{shell}");
    }
    let out = sourcing(&["man"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") && page.contains(".TH sourcing 1"),
        "{page}"
    );
    let page = text(&sourcing(&["man", "pandapon", "order-detail"], &[]).stdout);
    assert!(
        page.contains(".TH sourcing-pandapon-order-detail 1"),
        "{page}"
    );
    assert!(page.contains("web\\-site"), "{page}");
    assert_eq!(
        sourcing(&["completions", "tcsh"], &[]).status.code(),
        Some(2)
    );
}

/// The quickstart prints values ("not sent by the vendor" where a field is absent), never Rust `Debug`
/// text (`Some(18)`, `None`).
#[test]
fn quickstart_prints_values_not_debug() {
    // `cargo test --workspace` builds the example beside this test binary; alone, cargo runs it.
    let built = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("examples/quickstart")))
        .filter(|path| path.is_file());
    let out = match built {
        Some(path) => Command::new(path).args(["--provider", "all"]).output(),
        None => Command::new(env!("CARGO"))
            .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .args([
                "run",
                "-q",
                "-p",
                "sourcing-sandbox",
                "--example",
                "quickstart",
                "--",
            ])
            .args(["--provider", "all"])
            .output(),
    }
    .expect("run the quickstart");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("== PandaPon"), "{shown}");
    for debug in ["Some(", "None", "PayByHand {", "Paid,", "[\""] {
        assert!(!shown.contains(debug), "{debug:?} in {shown}");
    }
}
