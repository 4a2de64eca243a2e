//! `sourcing probe`, the binary: it prints the settings to pin the variant the sandbox emulates, as JSON too,
//! and refuses bad `--emulate` values. The probe itself (every emulated variant found, one declared read per
//! candidate): src/probe_tests.rs.

use sourcing_runtime::SigningSettings;
use std::process::Command;

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
    for (key, values) in SigningSettings::KEYS.iter().filter(|(k, _)| {
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
