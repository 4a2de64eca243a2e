//! The configuration file with profiles (`config.toml`), `sourcing config path|check`, and live money
//! asking first (`--yes`, `--dry-run`), through the built binary against an in-process sandbox that counts
//! the requests it receives.

use sourcing_sandbox::{Sandbox, credentials};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `sourcing` with no provider credentials, `SOURCING_*` or configuration file from the caller's
/// environment: `XDG_CONFIG_HOME` is `home` (the config file is `home/sourcing/config.toml`).
fn sourcing(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sourcing"));
    cmd.args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("PANDAPON_")
            || k.starts_with("DAJISAAS_")
            || k.starts_with("XPORTCN_")
            || k.starts_with("SOURCING_")
        {
            cmd.env_remove(k);
        }
    }
    // The default ledger (raw payments are journaled) in the test's own directory.
    cmd.env("XDG_CONFIG_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sourcing")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh directory for one test's configuration.
fn home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sourcing-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sourcing")).unwrap();
    dir
}

fn write_config(home: &Path, text: &str) -> PathBuf {
    let path = home.join("sourcing").join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Two PandaPon accounts at the sandbox: `shop-a` (its test credentials, the default) and `shop-b` (a wrong
/// secret), and a Dajisaas profile named like its provider.
fn two_shops(sandbox: &Sandbox) -> String {
    format!(
        "store = \"sqlite:ledger.db\"\ndefault_profile = \"shop-a\"\n\n\
         [profiles.shop-a]\nprovider = \"pandapon\"\naccess_key = \"{ak}\"\naccess_secret = \"{secret}\"\n\
         user_id = \"{user}\"\nbase_url = \"{pandapon}\"\n\n\
         [profiles.shop-b]\nprovider = \"PandaPon\"\naccess_key = \"{ak}\"\naccess_secret = \"wrong-secret-b\"\n\
         user_id = \"{user}\"\nbase_url = \"{pandapon}\"\n\n\
         [profiles.dajisaas]\napp_key = \"{app}\"\napp_secret = \"{app_secret}\"\nbase_url = \"{dajisaas}\"\n",
        ak = credentials::ACCESS_KEY,
        secret = credentials::ACCESS_SECRET,
        user = credentials::USER_ID,
        app = credentials::APP_KEY,
        app_secret = credentials::APP_SECRET,
        pandapon = sandbox.base_url("pandapon"),
        dajisaas = sandbox.base_url("dajisaas"),
    )
}

/// Run `sourcing` off the async runtime (the sandbox answers on it).
async fn run(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        sourcing(&home, &args, &env)
    })
    .await
    .unwrap()
}

const READ: &[&str] = &["pandapon", "v2-cart-list"];

#[tokio::test(flavor = "multi_thread")]
async fn profiles_choose_the_account() {
    let sandbox = Sandbox::start().await.unwrap();
    let home = home("profiles");
    write_config(&home, &two_shops(&sandbox));

    // The default profile (default_profile) signs with shop-a's credentials.
    let out = run(&home, READ, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // --profile and SOURCING_PROFILE pick shop-b, whose secret the sandbox refuses (HTTP 401: exit 4).
    for (args, env) in [
        ([READ, &["--profile", "shop-b"]].concat(), vec![]),
        (READ.to_vec(), vec![("SOURCING_PROFILE", "shop-b")]),
    ] {
        let out = run(&home, &args, &env).await;
        assert_eq!(out.status.code(), Some(4), "{args:?} {env:?}");
        assert!(text(&out.stderr).contains("signature mismatch"));
        assert!(!text(&out.stderr).contains("wrong-secret-b"));
    }
    // The profile's credentials replace the environment's whole: a wrong secret there changes nothing.
    let out = run(&home, READ, &[("PANDAPON_ACCESS_SECRET", "env-secret")]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A profile that does not exist: configuration error with the nearest name.
    let out = run(&home, &[READ, &["--profile", "shop-c"]].concat(), &[]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("no profile \"shop-c\"")
            && text(&out.stderr).contains("did you mean \"shop-a\"?"),
        "{}",
        text(&out.stderr)
    );
    // A Dajisaas profile for a PandaPon command is a usage error.
    let out = run(&home, &[READ, &["--profile", "dajisaas"]].concat(), &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("profile dajisaas is a dajisaas profile"));
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread")]
async fn config_check_sends_one_signed_read_per_profile() {
    let sandbox = Sandbox::start().await.unwrap();
    let home = home("check");
    let path = write_config(&home, &two_shops(&sandbox));
    let writes = |sandbox: &Sandbox| -> u64 {
        sourcing_registry::providers()
            .iter()
            .flat_map(|p| p.operations.iter())
            .filter(|op| op.effect != sourcing_runtime::Effect::Read)
            .map(|op| sandbox.hits(op.id))
            .sum()
    };

    let out = run(&home, &["config", "check", "--profile", "shop-a"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).starts_with("profile shop-a (pandapon): ok:"),
        "{}",
        text(&out.stdout)
    );
    // Every profile: shop-b's signature refused (a configuration error), the others accepted.
    let out = run(&home, &["config", "check"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    let report = text(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert!(
        lines[0].starts_with("profile shop-a (pandapon): ok"),
        "{report}"
    );
    assert!(
        lines[1].starts_with("profile shop-b (pandapon): refused"),
        "{report}"
    );
    assert!(
        lines[2].starts_with("profile dajisaas (dajisaas): ok"),
        "{report}"
    );
    assert_eq!(
        writes(&sandbox),
        0,
        "config check sends only declared reads"
    );

    // --provider: that provider's default profile, or the environment without a file.
    let out = run(&home, &["config", "check", "--provider", "PandaPon"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).starts_with("profile shop-a (pandapon): ok"),
        "{}",
        text(&out.stdout)
    );
    let env = [
        ("XPORTCN_ACCESS_KEY", credentials::ACCESS_KEY),
        ("XPORTCN_ACCESS_SECRET", credentials::ACCESS_SECRET),
        ("XPORTCN_USER_ID", credentials::USER_ID),
    ];
    let xportcn = sandbox.base_url("xportcn");
    let env = [&env[..], &[("XPORTCN_BASE_URL", xportcn.as_str())]].concat();
    let out = run(&home, &["config", "check", "--provider", "xportcn"], &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).starts_with("xportcn (environment): ok"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        writes(&sandbox),
        0,
        "config check sends only declared reads"
    );

    // `config path`: the default place, SOURCING_CONFIG, --config.
    let out = run(&home, &["config", "path"], &[]).await;
    assert_eq!(text(&out.stdout).trim(), path.to_string_lossy());
    let out = run(
        &home,
        &["config", "path"],
        &[("SOURCING_CONFIG", "/x/y.toml")],
    )
    .await;
    assert_eq!(text(&out.stdout).trim(), "/x/y.toml");
    let out = run(&home, &["config", "path", "--config", "/z.toml"], &[]).await;
    assert_eq!(text(&out.stdout).trim(), "/z.toml");
    let _ = std::fs::remove_dir_all(home);
}

/// Mistakes in the file or the settings are configuration errors (exit 3) that say what to fix.
#[test]
fn configuration_mistakes_are_named() {
    let home = home("mistakes");
    let call = [
        "pandapon",
        "order-detail",
        "--order-id",
        "1",
        "--web-site",
        "x",
    ];
    for (config, expected) in [
        (
            "stor = \"sqlite:x.db\"\n",
            "unknown key `stor`; did you mean `store`?",
        ),
        (
            "[profiles.pandapon]\naccess_key = \"k\"\nacess_secret = \"s\"\n",
            "[profiles.pandapon] unknown key `acess_secret`; did you mean `access_secret`?",
        ),
        (
            "[profiles.pandapon]\napp_key = \"k\"\n",
            "`app_key` does not apply to a pandapon profile",
        ),
        (
            "[profiles.pandapon]\nbase_url = \"api.example.com\"\n",
            "[profiles.pandapon] base_url: \"api.example.com\" is not a URL",
        ),
        // Every missing credential at once, named as in the file.
        (
            "[profiles.pandapon]\naccess_key = \"k\"\n",
            "PANDAPON_ACCESS_SECRET and PANDAPON_USER_ID are not set: profile pandapon",
        ),
    ] {
        write_config(&home, config);
        let out = sourcing(&home, &call, &[]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{config}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(expected),
            "{config}: {}",
            text(&out.stderr)
        );
    }
    std::fs::remove_file(home.join("sourcing/config.toml")).unwrap();
    // Without a file: every missing environment variable at once; a base URL without a scheme names its key.
    let out = sourcing(&home, &call, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains(
            "PANDAPON_ACCESS_KEY, PANDAPON_ACCESS_SECRET and PANDAPON_USER_ID are not set"
        ),
        "{}",
        text(&out.stderr)
    );
    let env = [
        ("PANDAPON_ACCESS_KEY", "k"),
        ("PANDAPON_ACCESS_SECRET", "s"),
        ("PANDAPON_USER_ID", "1"),
        ("PANDAPON_BASE_URL", "api.example.com"),
    ];
    let out = sourcing(&home, &call, &env);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "PANDAPON_BASE_URL (environment or --config): \"api.example.com\" is not a URL"
        ),
        "{}",
        text(&out.stderr)
    );
    // An explicit file that does not exist is an error; a KEY=VALUE file still works as --config.
    let out = sourcing(&home, &call, &[("SOURCING_CONFIG", "/nonexistent/c.toml")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("/nonexistent/c.toml"));
    let _ = std::fs::remove_dir_all(home);
}

/// A payment to a live URL: without a terminal and without `--yes` nothing is sent (exit 2, the summary
/// shown); `--dry-run` prints the signed request, secrets redacted, and sends nothing; `--yes` sends.
#[tokio::test(flavor = "multi_thread")]
async fn live_payments_ask_first() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.seed_order("2257455039610311973");
    let home = home("confirm");
    let base = sandbox.base_url("pandapon");
    let env = [
        ("PANDAPON_ACCESS_KEY", credentials::ACCESS_KEY),
        ("PANDAPON_ACCESS_SECRET", credentials::ACCESS_SECRET),
        ("PANDAPON_USER_ID", credentials::USER_ID),
    ];
    let pay = |extra: &[&'static str]| -> Vec<String> {
        [
            &["--base-url", base.as_str(), "pandapon", "order-pay-url"][..],
            &["--order-id", "2257455039610311973"],
            extra,
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let call = |args: Vec<String>| {
        let home = home.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&home, &args, &env).await
        }
    };

    let out = call(pay(&[])).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    for s in [
        "about to PAY at PandaPon",
        "order_pay_url (pay)",
        "2257455039610311973",
        "--yes",
    ] {
        assert!(err.contains(s), "{s:?} not in {err}");
    }
    assert_eq!(sandbox.hits("order_pay_url"), 0, "sent without --yes");

    let out = call(pay(&["--dry-run"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.starts_with(&format!("GET {base}/")) || shown.starts_with(&format!("POST {base}/")),
        "{shown}"
    );
    assert!(shown.contains("signature: <redacted>"), "{shown}");
    assert!(
        shown.contains("timestamp: 1"),
        "the timestamp is no secret: {shown}"
    );
    assert!(!shown.contains(credentials::ACCESS_SECRET), "{shown}");
    assert_eq!(sandbox.hits("order_pay_url"), 0, "sent with --dry-run");

    let out = call(pay(&["--yes"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sandbox.hits("order_pay_url"), 1);
    // A read never asks.
    let out = call(
        ["--base-url", base.as_str(), "pandapon", "v2-cart-list"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(home);
}

/// On a terminal (a pseudo-terminal from util-linux `script`) the summary is shown and only `y` sends.
#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_is_asked_and_only_yes_sends() {
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("skipped: no /usr/bin/script to give the command a terminal");
        return;
    }
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.seed_order("2257455039610311973");
    let home = home("tty");
    let command = format!(
        "{} --base-url {} pandapon order-pay-url --order-id 2257455039610311973",
        env!("CARGO_BIN_EXE_sourcing"),
        sandbox.base_url("pandapon")
    );
    let answer = |reply: &'static str| {
        let (home, command) = (home.clone(), command.clone());
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut child = Command::new("/usr/bin/script")
                .args(["-qec", &command, "/dev/null"])
                .env("XDG_CONFIG_HOME", &home)
                .env("XDG_DATA_HOME", &home)
                .env_remove("SOURCING_STORE")
                .env("PANDAPON_ACCESS_KEY", credentials::ACCESS_KEY)
                .env("PANDAPON_ACCESS_SECRET", credentials::ACCESS_SECRET)
                .env("PANDAPON_USER_ID", credentials::USER_ID)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(reply.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        })
    };
    let out = answer("n\n").await.unwrap();
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("Send it? [y/N]") && shown.contains("not confirmed"),
        "{shown}"
    );
    assert_eq!(sandbox.hits("order_pay_url"), 0);
    let out = answer("y\n").await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(sandbox.hits("order_pay_url"), 1);
    let _ = std::fs::remove_dir_all(home);
}

/// `sourcing mcp --live` and `sourcing webhooks` take `--profile` like the other commands: a Dajisaas
/// account in a profile not named like its provider (and no default) is served only when named.
#[test]
fn mcp_and_webhooks_take_a_profile() {
    let home = home("profile-flag");
    write_config(
        &home,
        "[profiles.shop]\nprovider = \"dajisaas\"\napp_key = \"k\"\napp_secret = \"s\"\n",
    );
    let without = sourcing(&home, &["mcp", "--live"], &[]);
    assert!(
        text(&without.stderr).contains("dajisaas not served")
            && text(&without.stderr).contains("--profile NAME"),
        "{}",
        text(&without.stderr)
    );
    let with = sourcing(&home, &["mcp", "--live", "--profile", "shop"], &[]);
    let stderr = text(&with.stderr);
    assert!(!stderr.contains("dajisaas not served"), "{stderr}");
    assert!(stderr.contains("openapi.dajisaas.com"), "{stderr}");

    // The receiver verifies Dajisaas's pushes with the profile's secret: it starts only when it has one.
    let refused = sourcing(
        &home,
        &["webhooks", "--provider", "dajisaas", "--port", "0"],
        &[],
    );
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
    let mut receiver = Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args([
            "webhooks",
            "--provider",
            "dajisaas",
            "--profile",
            "shop",
            "--port",
            "0",
        ])
        .env("XDG_CONFIG_HOME", &home)
        .env("XDG_DATA_HOME", &home)
        .env_remove("DAJISAAS_APP_SECRET")
        .env_remove("SOURCING_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines =
        std::io::BufRead::lines(std::io::BufReader::new(receiver.stderr.take().unwrap()));
    let listening = lines
        .by_ref()
        .take(20)
        .map_while(Result::ok)
        .any(|l| l.contains("http://127.0.0.1:"));
    let _ = receiver.kill();
    let _ = receiver.wait();
    assert!(listening, "the receiver with --profile shop did not start");
    let _ = std::fs::remove_dir_all(home);
}
