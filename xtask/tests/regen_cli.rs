//! `cargo xtask regen [--check]` on a scratch copy of the specs: generation, drift detection with a diff,
//! and a broken spec that fails with its name and location without touching `generated/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch checkout `<tmp>/…/repo`: a `[workspace]` manifest, the PandaPon spec and the endpoint catalogue
/// (the coverage report needs it). Remove it with `cleanup`.
fn scratch(name: &str) -> PathBuf {
    let base = std::env::temp_dir().join(format!("sourcing-xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let dir = base.join("repo");
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    std::fs::create_dir_all(dir.join("vendor-docs")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::copy(
        repo.join("specs/pandapon.yaml"),
        dir.join("specs/pandapon.yaml"),
    )
    .unwrap();
    std::fs::copy(
        repo.join("vendor-docs/catalogue.md"),
        dir.join("vendor-docs/catalogue.md"),
    )
    .unwrap();
    dir
}

fn cleanup(root: &Path) {
    let _ = std::fs::remove_dir_all(root.parent().unwrap());
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("SOURCING_ROOT", root)
        .output()
        .unwrap()
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn regen_check_and_drift() {
    let root = scratch("drift");
    let out = xtask(&root, &["regen", "--check"]);
    assert_eq!(out.status.code(), Some(1), "missing crate is drift");

    assert!(xtask(&root, &["regen"]).status.success());
    assert!(root.join("generated/pandapon/src/client.rs").exists());
    let first = snapshot(&root.join("generated"));
    assert!(xtask(&root, &["regen"]).status.success());
    assert_eq!(
        first,
        snapshot(&root.join("generated")),
        "regen is byte-identical across runs"
    );
    assert!(xtask(&root, &["regen", "--check"]).status.success());

    // Edit a field description without regenerating: --check fails with a unified diff.
    let spec = root.join("specs/pandapon.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replacen("Why it failed", "The reason it failed", 1);
    assert_ne!(text, edited);
    std::fs::write(&spec, edited).unwrap();
    let out = xtask(&root, &["regen", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("--- a/generated/pandapon/src/client.rs"),
        "{diff}"
    );
    assert!(
        diff.contains("+") && diff.contains("The reason it failed"),
        "{diff}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("DRIFT"));
    cleanup(&root);
}

#[test]
fn broken_spec_names_the_problem_and_writes_nothing() {
    let root = scratch("broken");
    assert!(xtask(&root, &["regen"]).status.success());
    let before = snapshot(&root.join("generated"));

    let spec = root.join("specs/pandapon.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replacen("      operationId: v2_order_pay_url\n", "", 1),
    )
    .unwrap();
    let out = xtask(&root, &["regen"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("specs/pandapon.yaml"), "{err}");
    assert!(
        err.contains("/paths/~1v2~1alibaba~1order~1pay~1url/get/operationId"),
        "{err}"
    );
    assert!(err.contains("missing operationId"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        before,
        snapshot(&root.join("generated")),
        "generated/ untouched"
    );

    std::fs::write(&spec, "openapi: 3.0.3\ninfo: [unclosed\n").unwrap();
    let out = xtask(&root, &["regen"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("specs/pandapon.yaml at line"), "{err}");
    assert_eq!(before, snapshot(&root.join("generated")));
    cleanup(&root);
}

#[test]
fn coverage_writes_the_report_and_a_missing_catalogue_is_a_clear_error() {
    let root = scratch("coverage");
    let out = xtask(&root, &["coverage"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("| PandaPon v1 |"), "{stdout}");
    let report = std::fs::read_to_string(root.join("generated/COVERAGE.md")).unwrap();
    assert!(report.contains("`pp.1688.order.cancel`"), "{report}");
    assert!(xtask(&root, &["regen"]).status.success());
    assert!(xtask(&root, &["regen", "--check"]).status.success());

    // A stale report is drift.
    std::fs::write(root.join("generated/COVERAGE.md"), "stale\n").unwrap();
    let out = xtask(&root, &["regen", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("generated/COVERAGE.md"));

    // Without the catalogue: a clear error naming it, no panic, nothing written.
    std::fs::remove_dir_all(root.join("vendor-docs")).unwrap();
    let before = snapshot(&root.join("generated"));
    for args in [&["regen"][..], &["coverage"][..]] {
        let out = xtask(&root, args);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("vendor-docs/catalogue.md"), "{err}");
        assert!(err.contains("cannot read the endpoint catalogue"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(before, snapshot(&root.join("generated")));
    cleanup(&root);
}

/// The xtask as `cargo xtask` runs it from a shared target dir: no `SOURCING_ROOT`, working in `dir`.
fn xtask_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCING_ROOT")
        .output()
        .unwrap()
}

#[test]
fn one_binary_checks_the_checkout_it_runs_in() {
    // Two checkouts, one xtask binary (as with a shared CARGO_TARGET_DIR): each run sees its own tree.
    let (a, b) = (scratch("tree-a"), scratch("tree-b"));
    for root in [&a, &b] {
        let out = xtask_in(root, &["regen"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(root.join("generated/pandapon/src/client.rs").exists());
    }
    let spec = b.join("specs/pandapon.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replacen("summary: ", "summary: Edited ", 1)).unwrap();

    // From a subdirectory of A: A is up to date, whatever B holds.
    let out = xtask_in(&a.join("specs"), &["regen", "--check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("up to date"));
    // B's edited spec is drift in B.
    let out = xtask_in(&b, &["regen", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Edited"));
    // A is still untouched by B's regen.
    let before = snapshot(&a.join("generated"));
    assert!(xtask_in(&b, &["regen"]).status.success());
    assert_eq!(before, snapshot(&a.join("generated")));
    cleanup(&a);
    cleanup(&b);
}

#[test]
fn outside_any_workspace_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("sourcing-xtask-nowhere-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = xtask_in(&dir, &["regen", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Cargo workspace") && err.contains("SOURCING_ROOT"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_arguments_are_usage_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("regn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}
