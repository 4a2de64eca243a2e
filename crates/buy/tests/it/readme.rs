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
    let table = sourcing_buy::markdown_table(&sourcing_registry::flows());
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

/// Every provider of the registry states every step once, in order.
#[test]
fn every_provider_states_every_step_once_in_order() {
    use sourcing_buy::Step;
    for p in sourcing_registry::flows() {
        let steps: Vec<Step> = p.capabilities().iter().map(|(s, _)| *s).collect();
        assert_eq!(steps, Step::ALL, "{p}");
    }
}

/// A published step names an operation of the generated table without `x-evidence`; a third-party one
/// names one with it (the sandbox, a dev-dependency, compiles the third-party operations in).
#[test]
fn published_operations_exist_in_the_generated_tables() {
    use sourcing_buy::Support;
    for p in sourcing_registry::flows() {
        let table = p.description();
        for (step, support) in p.capabilities() {
            let find = |id: &str| table.operations.iter().find(|op| op.id == id);
            match support {
                Support::Published { operation } => {
                    let op = find(operation)
                        .unwrap_or_else(|| panic!("{p} {step}: no operation {operation}"));
                    assert_eq!(
                        op.evidence, None,
                        "{p} {step}: {operation} is not published"
                    );
                }
                Support::ThirdParty { operation, .. } => {
                    let op = find(operation)
                        .unwrap_or_else(|| panic!("{p} {step}: no operation {operation}"));
                    assert!(
                        op.evidence.is_some(),
                        "{p} {step}: {operation} carries no x-evidence"
                    );
                }
                Support::NotAvailable { .. } => {}
            }
        }
    }
}
