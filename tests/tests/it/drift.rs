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
