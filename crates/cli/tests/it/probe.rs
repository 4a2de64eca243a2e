//! `sourcing probe` finds every signing variant the sandbox emulates, accepts exactly that one, sends one
//! declared read per candidate and nothing else (counted by the sandbox), and prints the settings to pin it.

use sourcing_cli::backend::Backend;
use sourcing_cli::probe::{Verdict, declared_read, probe};
use sourcing_runtime::operation::Provider;
use sourcing_runtime::signing::settings::KEYS;
use sourcing_runtime::signing::{
    AccessKeySettings, AppKeySettings, PostSignedFields, RequestTimeType, SignPlacement,
    SigningSettings, TimestampUnit, V2Nonce, Variant,
};
use sourcing_sandbox::SandboxConfig;
use std::collections::BTreeSet;
use std::process::Command;

fn provider(name: &str) -> &'static Provider {
    sourcing_registry::providers()
        .iter()
        .copied()
        .find(|p| p.name == name)
        .unwrap()
}

/// Requests the sandbox received, in total and on operations that are not declared reads.
fn received(backend: &Backend) -> (u64, u64) {
    let sandbox = backend.embedded_sandbox().unwrap();
    let mut ids = BTreeSet::new();
    let (mut all, mut writes) = (0, 0);
    for p in sourcing_registry::providers() {
        for op in p.operations {
            if ids.insert(op.id) {
                let hits = sandbox.hits(op.id);
                all += hits;
                if !declared_read(op) {
                    writes += hits;
                }
            }
        }
    }
    (all, writes)
}

/// Probe `name` against a sandbox emulating `emulated`; the pins must be `expected` (key suffix, value).
async fn finds(name: &str, emulated: SigningSettings, expected: &[(&str, &str)]) {
    let backend = Backend::sandbox_with(SandboxConfig {
        signing: emulated,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let p = provider(name);
    let report = probe(&backend, p).await.unwrap();
    let pins = report.pins().unwrap_or_else(|| {
        panic!(
            "{name} {emulated:?}: no single variant\n{}",
            report.render()
        )
    });
    let want: Vec<(String, &str)> = expected
        .iter()
        .map(|(k, v)| (format!("{}_{k}", p.env_prefix), *v))
        .collect();
    assert_eq!(pins, want, "{name} {emulated:?}\n{}", report.render());
    for g in &report.groups {
        let accepted = g
            .trials
            .iter()
            .filter(|t| matches!(t.verdict, Verdict::Accepted(_)))
            .count();
        assert_eq!(accepted, 1, "{}", report.render());
        assert!(
            g.trials
                .iter()
                .all(|t| !matches!(t.verdict, Verdict::Unknown(_))),
            "{}",
            report.render()
        );
    }
    let (all, writes) = received(&backend);
    assert_eq!(
        all,
        report.sent() as u64,
        "one request per candidate, nothing else"
    );
    assert_eq!(writes, 0, "only declared reads");
}

#[tokio::test]
async fn probe_finds_every_emulated_header_variant() {
    for &timestamp_unit in TimestampUnit::ALL {
        for &v2_nonce in V2Nonce::ALL {
            let emulated = SigningSettings {
                access_key: AccessKeySettings {
                    timestamp_unit,
                    v2_nonce,
                },
                ..SigningSettings::default()
            };
            finds(
                "pandapon",
                emulated,
                &[
                    ("TIMESTAMP_UNIT", timestamp_unit.name()),
                    ("V2_NONCE", v2_nonce.name()),
                ],
            )
            .await;
        }
        let emulated = SigningSettings {
            access_key: AccessKeySettings {
                timestamp_unit,
                ..AccessKeySettings::default()
            },
            ..SigningSettings::default()
        };
        finds(
            "xportcn",
            emulated,
            &[("TIMESTAMP_UNIT", timestamp_unit.name())],
        )
        .await;
    }
}

#[tokio::test]
async fn probe_finds_every_emulated_dajisaas_post_variant() {
    let mut found = 0;
    for &post_signed_fields in PostSignedFields::ALL {
        for &request_time_unit in TimestampUnit::ALL {
            for &request_time_type in RequestTimeType::ALL {
                for &sign_placement in SignPlacement::ALL {
                    let emulated = SigningSettings {
                        app_key: AppKeySettings {
                            post_signed_fields,
                            request_time_unit,
                            request_time_type,
                            sign_placement,
                            ..AppKeySettings::default()
                        },
                        ..SigningSettings::default()
                    };
                    finds(
                        "dajisaas",
                        emulated,
                        &[
                            ("POST_SIGNED_FIELDS", post_signed_fields.name()),
                            ("REQUEST_TIME_UNIT", request_time_unit.name()),
                            ("REQUEST_TIME_TYPE", request_time_type.name()),
                            ("SIGN_PLACEMENT", sign_placement.name()),
                        ],
                    )
                    .await;
                    found += 1;
                }
            }
        }
    }
    assert_eq!(found, 16);
}

/// The binary: `--sandbox` probes the default and prints the lines to pin it; `--emulate` picks another.
#[test]
fn the_command_prints_the_settings_to_pin() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sourcing"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["probe", "--provider", "dajisaas", "--sandbox"]);
    assert_eq!(code, Some(0), "{out}");
    for (key, values) in KEYS.iter().filter(|(k, _)| {
        [
            "POST_SIGNED_FIELDS",
            "REQUEST_TIME_UNIT",
            "REQUEST_TIME_TYPE",
            "SIGN_PLACEMENT",
        ]
        .contains(k)
    }) {
        assert!(
            out.contains(&format!("\nDAJISAAS_{key}={}\n", values()[0])),
            "{out}"
        );
    }
    let (code, out) = run(&[
        "probe",
        "--provider",
        "pandapon",
        "--sandbox",
        "--emulate",
        "V2_NONCE=signed",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("\nPANDAPON_V2_NONCE=signed\n"), "{out}");
    assert!(out.contains("\nPANDAPON_TIMESTAMP_UNIT=ms\n"), "{out}");
    let (code, _) = run(&[
        "probe",
        "--provider",
        "pandapon",
        "--emulate",
        "V2_NONCE=signed",
    ]);
    assert_eq!(code, Some(2), "--emulate needs --sandbox");
}

/// `probe -o json` prints the report as JSON (the trials and the settings to pin); `--emulate` errors speak
/// the user's words (no internal `SANDBOX_` prefix), and a key the provider does not read is refused.
#[test]
fn json_output_and_emulate_errors() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sourcing"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[
        "probe",
        "--provider",
        "pandapon",
        "--sandbox",
        "--emulate",
        "V2_NONCE=signed",
        "-o",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["provider"], "pandapon");
    assert_eq!(report["pins"]["PANDAPON_V2_NONCE"], "signed", "{report}");
    let trials: Vec<&serde_json::Value> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["trials"].as_array().unwrap())
        .collect();
    assert_eq!(trials.len() as u64, report["requests"].as_u64().unwrap());
    assert!(trials.iter().any(|t| t["verdict"] == "refused"));

    let (code, _, err) = run(&[
        "probe",
        "--provider",
        "pandapon",
        "--sandbox",
        "--emulate",
        "V2_NONCE=maybe",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--emulate V2_NONCE=maybe: \"maybe\" is not a known variant of V2_NONCE; valid: omitted, signed"),
        "{err}"
    );
    assert!(!err.contains("SANDBOX_"), "{err}");
    let (code, _, err) = run(&[
        "probe",
        "--provider",
        "xportcn",
        "--sandbox",
        "--emulate",
        "SIGN_PLACEMENT=query",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("Xportcn does not read SIGN_PLACEMENT"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "probe",
        "--provider",
        "pandapon",
        "--sandbox",
        "--emulate",
        "V2_NONSE=signed",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown key V2_NONSE; did you mean V2_NONCE?"),
        "{err}"
    );
}
