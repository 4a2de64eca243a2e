//! `probe` finds every signing variant the sandbox emulates, accepts exactly that one, sends one declared read
//! per candidate and nothing else (counted by the sandbox), and reports the settings to pin it.

use super::*;
use std::collections::BTreeSet;

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
