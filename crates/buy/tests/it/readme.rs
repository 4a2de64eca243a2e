//! docs/purchase-flow.md's capability table is rendered from the static table the code checks: this test fails when
//! they differ. `UPDATE_CAPABILITIES=1 cargo test -p sourcing-buy --test it readme` rewrites the section.

const START: &str = "<!-- capabilities:start -->\n";
const END: &str = "<!-- capabilities:end -->";

#[test]
fn readme_capability_table_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/purchase-flow.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(START)
        .expect("docs/purchase-flow.md has no capabilities:start marker")
        + START.len();
    let end = readme[start..]
        .find(END)
        .expect("docs/purchase-flow.md has no capabilities:end marker")
        + start;
    let table = sourcing_buy::markdown_table();
    if readme[start..end] == table {
        return;
    }
    if std::env::var_os("UPDATE_CAPABILITIES").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "docs/purchase-flow.md's capability table is stale; run `UPDATE_CAPABILITIES=1 cargo test -p sourcing-buy --test it readme`.\nExpected:\n{table}"
    );
}
