//! `cargo xtask regen [--check]` on a scratch copy of the specs: generation, drift detection with a diff,
//! and a broken spec that fails with its name and location without touching `generated/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sourcing-xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::copy(
        repo.join("specs/pandapon.yaml"),
        dir.join("specs/pandapon.yaml"),
    )
    .unwrap();
    dir
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
    let _ = std::fs::remove_dir_all(&root);
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
    let _ = std::fs::remove_dir_all(&root);
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
