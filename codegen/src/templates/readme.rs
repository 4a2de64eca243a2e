//! `README.md` of a generated crate.

use crate::spec::ProviderSpec;

pub fn readme(spec: &ProviderSpec, header: &str) -> String {
    let m = &spec.meta;
    let mut rows = String::new();
    for op in &spec.operations {
        let mark = if op.evidence.is_some() {
            "**unconfirmed** (third-party clients; feature `unconfirmed-endpoints`): "
        } else {
            ""
        };
        rows.push_str(&format!(
            "| `{}` | {} `{}` | {} | {mark}{} | {} | {} |\n",
            op.id,
            op.method,
            op.path,
            op.tag,
            op.summary.replace('|', "\\|"),
            op.effect.name(),
            if op.effect.retried() { "yes" } else { "never" }
        ));
    }
    let mut hand = String::new();
    for h in &spec.hand_written {
        hand.push_str(&format!(
            "| `{}` | {} `{}` | hand-written: `{}` |\n",
            h.id, h.method, h.path, h.rust_fn
        ));
    }
    if !hand.is_empty() {
        hand = format!(
            "\n## Hand-written operations\n\nprogenitor cannot generate these; the runtime implements them.\n\n| id | endpoint | where |\n|---|---|---|\n{hand}"
        );
    }
    format!(
        r#"<!-- {header_text} -->
# `{krate}`

Typed, signed Rust client for the {title} OpenAPI, generated from `{file}` by `cargo xtask regen`.
Production base URL: `{base}`. HTTPS works out of the box (default feature `rustls`);
`default-features = false` drops TLS for plain-HTTP use (the sandbox, a local TLS-terminating proxy).

```rust,ignore
let client = {krate}::Client::from_env()?; // {prefix}_* credentials, optional {prefix}_BASE_URL
```

## Operations

The effect is the spec's `x-effect`: {effects}. Only reads are retried automatically.
{unconfirmed_note}
| operation | endpoint | area | summary | effect | retried |
|---|---|---|---|---|---|
{rows}{hand}"#,
        header_text = header.trim_start_matches("//").trim(),
        unconfirmed_note = if spec.operations.iter().any(|o| o.evidence.is_some()) {
            format!(
                "\nOperations marked **unconfirmed** are not published by {}: they are known only from third-party\n\
                 clients (each one's documentation names them) and are compiled only with the crate feature\n\
                 `unconfirmed-endpoints`.\n",
                m.title
            )
        } else {
            String::new()
        },
        effects = sourcing_runtime::Effect::ALL
            .iter()
            .map(|e| format!("`{}` {}", e.name(), e.meaning()))
            .collect::<Vec<_>>()
            .join("; "),
        krate = m.crate_name,
        title = m.title,
        file = spec.file.display(),
        base = spec.base_url,
        prefix = m.env_prefix,
    )
}
