//! `generated/` is exactly what `specs/` produce (the same check as `cargo xtask regen --check`).

#[test]
fn generated_crates_match_specs() {
    let root = sourcing_tests::workspace_root();
    let files = sourcing_codegen::generate_all(&root).expect("specs generate");
    let stale: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(root.join(&f.path)).ok().as_deref() != Some(f.contents.as_str())
        })
        .map(|f| f.path.display().to_string())
        .collect();
    assert!(
        stale.is_empty(),
        "generated files are stale, run `cargo xtask regen`: {stale:?}"
    );
}

#[test]
fn generation_is_deterministic() {
    let root = sourcing_tests::workspace_root();
    let a = sourcing_codegen::generate_all(&root).unwrap();
    let b = sourcing_codegen::generate_all(&root).unwrap();
    assert_eq!(a, b);
}

/// One path per public item: a published crate's modules are either private, their items re-exported at the
/// root, or namespaces of their own (`pub mod`) with nothing of theirs re-exported at the root. And no code or
/// document in the workspace names an item through a private module (the runtime's `signing` module, say,
/// where the item is `sourcing_runtime::Signer`): code would not compile, a document would be stale.
#[test]
fn every_public_item_has_one_path() {
    let root = sourcing_tests::workspace_root();
    let mut stale_paths = Vec::new();
    let mut private_paths = Vec::new();
    for (krate, lib) in [
        ("sourcing_runtime", "crates/runtime/src/lib.rs"),
        ("sourcing_webhooks", "crates/webhooks/src/lib.rs"),
    ] {
        let text = std::fs::read_to_string(root.join(lib)).unwrap();
        let (mut public, mut private) = (Vec::new(), Vec::new());
        for line in text.lines().map(str::trim) {
            let Some(name) = line.strip_suffix(';') else {
                continue;
            };
            if let Some(m) = name.strip_prefix("pub mod ") {
                public.push(m.to_owned());
            } else if let Some(m) = name.strip_prefix("mod ") {
                private.push(m.to_owned());
            }
        }
        assert!(
            !private.is_empty() && !public.is_empty(),
            "{lib}: no modules read"
        );
        for line in text.lines().filter(|l| l.starts_with("pub use ")) {
            for m in &public {
                if line.starts_with(&format!("pub use {m}::")) {
                    stale_paths.push(format!(
                        "{lib}: `{line}` re-exports from the namespace `{m}`"
                    ));
                }
            }
        }
        for m in private {
            private_paths.push((
                format!("{krate}::{m}::"),
                format!("{krate}::{m} is private"),
            ));
        }
    }
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "vendor-docs" {
                    dirs.push(path);
                }
                continue;
            }
            if ![".rs", ".md", ".yaml", ".toml"]
                .iter()
                .any(|e| name.ends_with(e))
            {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (needle, why) in &private_paths {
                if text.contains(needle.as_str()) {
                    let at = path.strip_prefix(&root).unwrap().display();
                    stale_paths.push(format!("{at}: names `{needle}…` ({why})"));
                }
            }
        }
    }
    assert!(stale_paths.is_empty(), "{stale_paths:#?}");
}
