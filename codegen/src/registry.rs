//! The registry's generated lines (`crates/registry`): one `Kit` line per spec in `src/kits.rs`, and in its
//! `Cargo.toml`, between marker comments, one dependency line per generated crate and one entry per crate in
//! the `unconfirmed-endpoints` feature. Registering a provider is then its spec and `cargo xtask regen`.
//!
//! A spec's kit line is read from `x-sourcing`:
//! * its API: always the generated crate's `operations::PROVIDER`;
//! * its purchase flow: `x-sourcing.rust.kit.flow` (a Rust path), else `<crate>::flow::flow()` when the
//!   spec names its flow file (`x-sourcing.rust.flow`, copied as the crate's `src/flow.rs`), else none;
//! * its callback format: `x-sourcing.rust.kit.callbacks`, else `<crate>::callbacks::FACTORY` when the spec
//!   names its callbacks file (`x-sourcing.rust.callbacks`), else none;
//! * its place: specs with `x-sourcing.rust.kit.order` first, by that number, then the others by crate name.

use crate::GeneratedFile;
use crate::error::CodegenError;
use crate::spec::ProviderSpec;
use std::path::Path;

/// The registry's manifest, relative to the workspace root: its generated lines go between markers.
pub const MANIFEST: &str = "crates/registry/Cargo.toml";
/// The registry's kit list, relative to the workspace root: generated whole.
pub const KITS_RS: &str = "crates/registry/src/kits.rs";
/// The keys of `x-sourcing.rust.kit`.
pub const KIT_KEYS: [&str; 3] = ["order", "flow", "callbacks"];
/// The version the registry's path dependencies name (the workspace's, as in the generated manifests).
const VERSION: &str = crate::templates::VERSION;

/// One provider's entry in the registry, read from its spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitEntry {
    /// The generated crate (`pandapon`).
    pub crate_name: String,
    /// `x-sourcing.rust.kit.order`, when given.
    pub order: Option<u64>,
    /// The Rust expression of its purchase flow (`sourcing_buy::providers::PANDAPON`,
    /// `acme::flow::flow()`), when it has one.
    pub flow: Option<String>,
    /// The Rust expression of its callback format's factory, when it has one.
    pub callbacks: Option<String>,
}

impl KitEntry {
    /// Its line in `kits.rs` (one expression of the `vec!`, without indentation).
    pub fn line(&self) -> String {
        let mut line = format!("Kit::new(&{}::operations::PROVIDER)", self.crate_name);
        if let Some(flow) = &self.flow {
            line.push_str(&format!(".with_flow({flow})"));
        }
        if let Some(callbacks) = &self.callbacks {
            line.push_str(&format!(".with_callbacks({callbacks})"));
        }
        line.push(',');
        line
    }

    /// Its dependency line in the registry's `Cargo.toml`.
    pub fn dependency(&self) -> String {
        format!(
            "{krate} = {{ path = \"../../generated/{krate}\", version = \"{VERSION}\", default-features = false }}",
            krate = self.crate_name
        )
    }
}

/// The kit entry of `spec`, its `x-sourcing.rust.kit` checked: a mapping of [`KIT_KEYS`] only, `order` a
/// non-negative integer, `flow` / `callbacks` Rust paths (see [`check_path`]).
pub fn kit(spec: &ProviderSpec) -> Result<KitEntry, CodegenError> {
    let krate = &spec.meta.crate_name;
    let err = |at: &str, message: String| CodegenError::new(&spec.file, at, message);
    let named_file = |key: &str| crate::templates::rust_extension(spec, key).is_some();
    let mut entry = KitEntry {
        crate_name: krate.clone(),
        order: None,
        flow: named_file("flow").then(|| format!("{krate}::flow::flow()")),
        callbacks: named_file("callbacks").then(|| format!("{krate}::callbacks::FACTORY")),
    };
    let Some(kit) = spec.raw.pointer("/x-sourcing/rust/kit") else {
        return Ok(entry);
    };
    let kit = kit.as_object().ok_or_else(|| {
        err(
            "/x-sourcing/rust/kit",
            format!(
                "x-sourcing.rust.kit must be a mapping with {}",
                KIT_KEYS.join(", ")
            ),
        )
    })?;
    for (key, value) in kit {
        let at = format!(
            "/x-sourcing/rust/kit/{}",
            crate::error::pointer_segment(key)
        );
        match key.as_str() {
            "order" => {
                entry.order = Some(value.as_u64().ok_or_else(|| {
                    err(
                        &at,
                        format!(
                            "x-sourcing.rust.kit.order must be a non-negative integer, not {value}"
                        ),
                    )
                })?);
            }
            "flow" | "callbacks" => {
                let path = value.as_str().ok_or_else(|| {
                    err(
                        &at,
                        format!(
                            "x-sourcing.rust.kit.{key} must be a string (a Rust path), not {value}"
                        ),
                    )
                })?;
                check_path(path, krate, key).map_err(|why| {
                    err(&at, format!("x-sourcing.rust.kit.{key} {path:?}: {why}"))
                })?;
                match key.as_str() {
                    "flow" => entry.flow = Some(path.to_owned()),
                    _ => entry.callbacks = Some(path.to_owned()),
                }
            }
            _ => {
                return Err(err(
                    &at,
                    format!(
                        "unknown key x-sourcing.rust.kit.{key}: it takes {}",
                        KIT_KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(entry)
}

/// A Rust path the registry can name for `key` (`flow` or `callbacks`) of the crate `krate`: `::`-separated
/// identifiers, at least two (`sourcing_buy::providers::PANDAPON`), optionally ending in `()` (a function
/// without arguments: `acme::flow::flow()`), starting with a crate the registry depends on — the
/// spec's generated crate, or `sourcing_buy` for a flow, `sourcing_webhooks` for callbacks (`crate`,
/// `self` and `super` would name the registry itself). `Err` says what is wrong.
pub fn check_path(path: &str, krate: &str, key: &str) -> Result<(), String> {
    let body = path.strip_suffix("()").unwrap_or(path);
    let body = body.strip_prefix("::").unwrap_or(body);
    let segments: Vec<&str> = body.split("::").collect();
    let shape = "expected a Rust path such as `some_crate::module::ITEM` or `some_crate::module::function()`";
    if let Some(first @ ("crate" | "self" | "super")) = segments.first().copied() {
        return Err(format!(
            "`{first}` would name the registry itself; {shape}, starting with the crate that defines it"
        ));
    }
    if let Some(bad) = segments.iter().find(|s| !is_identifier(s)) {
        return Err(format!("{bad:?} is not a Rust identifier; {shape}"));
    }
    if segments.len() < 2 {
        return Err(format!(
            "a path of one segment names no item of a crate; {shape}"
        ));
    }
    let facade = match key {
        "flow" => "sourcing_buy",
        _ => "sourcing_webhooks",
    };
    if segments[0] != krate && segments[0] != facade {
        return Err(format!(
            "it must start with a crate the registry depends on for it: `{krate}` (the generated crate) or `{facade}`"
        ));
    }
    Ok(())
}

fn is_identifier(s: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while",
    ];
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s != "_"
        && !KEYWORDS.contains(&s)
}

/// Every spec's kit entry, in the registry's order: those with `x-sourcing.rust.kit.order` by it (two specs
/// with the same number are refused), then the others by crate name.
pub fn entries(specs: &[ProviderSpec]) -> Result<Vec<KitEntry>, CodegenError> {
    let mut entries: Vec<KitEntry> = Vec::new();
    for spec in specs {
        let entry = kit(spec)?;
        let taken = entries
            .iter()
            .zip(specs)
            .find(|(e, _)| entry.order.is_some() && e.order == entry.order);
        if let Some((_, other)) = taken {
            return Err(CodegenError::new(
                &spec.file,
                "/x-sourcing/rust/kit/order",
                format!(
                    "x-sourcing.rust.kit.order {} is also {}'s: each spec has its own place",
                    entry.order.unwrap_or_default(),
                    other.file.display()
                ),
            ));
        }
        entries.push(entry);
    }
    entries.sort_by(|a, b| {
        (a.order.is_none(), a.order, &a.crate_name).cmp(&(
            b.order.is_none(),
            b.order,
            &b.crate_name,
        ))
    });
    Ok(entries)
}

/// `crates/registry/src/kits.rs`: the registry's `all()`, one line per entry.
pub fn kits_rs(entries: &[KitEntry]) -> String {
    let mut out = crate::render::header("specs/*.yaml", "//");
    out.push_str(
        "\n//! Every provider's kit, one line per spec in `specs/`, written by `cargo xtask regen` (codegen's\n\
         //! `registry` module): the generated crate's `operations::PROVIDER`, its purchase flow and its callback\n\
         //! format as the spec's `x-sourcing` names them, in the order of `x-sourcing.rust.kit.order`, then by crate\n\
         //! name.\n\n\
         use crate::Kit;\n\n\
         /// Every provider's kit, in the registry's order.\n\
         #[rustfmt::skip] // one line per provider\n\
         pub(crate) fn all() -> Vec<Kit> {\n    vec![\n",
    );
    for entry in entries {
        out.push_str(&format!("        {}\n", entry.line()));
    }
    out.push_str("    ]\n}\n");
    out
}

/// The first line of a generated region of the registry's `Cargo.toml` (after its indentation).
pub fn begin_marker(region: &str) -> String {
    format!("# BEGIN generated by `cargo xtask regen` from specs/*.yaml ({region}): do not edit")
}

/// The last line of a generated region of the registry's `Cargo.toml` (after its indentation).
pub fn end_marker(region: &str) -> String {
    format!("# END generated by `cargo xtask regen` ({region})")
}

/// The registry's `Cargo.toml` with its two regions rewritten: `dependencies` (one line per generated crate)
/// and `unconfirmed-endpoints` (each crate's feature of that name). `Err` names a missing or repeated marker.
pub fn manifest(current: &str, entries: &[KitEntry]) -> Result<String, String> {
    let deps: Vec<String> = entries.iter().map(KitEntry::dependency).collect();
    let features: Vec<String> = entries
        .iter()
        .map(|e| format!("\"{}/unconfirmed-endpoints\",", e.crate_name))
        .collect();
    let text = splice(current, "dependencies", &deps)?;
    splice(&text, "unconfirmed-endpoints", &features)
}

/// `text` with the lines between `region`'s markers replaced by `lines`, indented as the begin marker (the end
/// marker too).
fn splice(text: &str, region: &str, lines: &[String]) -> Result<String, String> {
    let (begin, end) = (begin_marker(region), end_marker(region));
    let find = |marker: &str| -> Result<usize, String> {
        let at: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == marker)
            .map(|(i, _)| i)
            .collect();
        match at.as_slice() {
            [i] => Ok(*i),
            [] => Err(format!(
                "no line `{marker}`: the {region} lines regen writes go between `{begin}` and `{end}`"
            )),
            _ => Err(format!(
                "the line `{marker}` is there {} times, not once",
                at.len()
            )),
        }
    };
    let (first, last) = (find(&begin)?, find(&end)?);
    if last < first {
        return Err(format!("`{end}` comes before `{begin}`"));
    }
    let all: Vec<&str> = text.lines().collect();
    let indent = &all[first][..all[first].len() - all[first].trim_start().len()];
    let mut out = String::new();
    for line in &all[..=first] {
        out.push_str(line);
        out.push('\n');
    }
    for line in lines {
        out.push_str(indent);
        out.push_str(line);
        out.push('\n');
    }
    // The end marker too, indented as the begin marker.
    out.push_str(indent);
    out.push_str(&end);
    out.push('\n');
    for line in &all[last + 1..] {
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// The registry's generated files for `specs` (read from `root`): its `Cargo.toml` (the current one with
/// its regions rewritten) and `src/kits.rs`. Listed after the generated crates by [`crate::generate_all`]:
/// written in that order, a crate exists before the registry names it (cargo loads every dependency's
/// manifest, `cargo xtask` included).
pub fn generate(root: &Path, specs: &[ProviderSpec]) -> Result<Vec<GeneratedFile>, CodegenError> {
    let entries = entries(specs)?;
    let current = std::fs::read_to_string(root.join(MANIFEST)).map_err(|e| {
        CodegenError::new(
            MANIFEST,
            "",
            format!("cannot read the registry's manifest: {e}"),
        )
    })?;
    let manifest = manifest(&current, &entries).map_err(|m| CodegenError::new(MANIFEST, "", m))?;
    Ok(vec![
        GeneratedFile {
            path: MANIFEST.into(),
            contents: manifest,
        },
        GeneratedFile {
            path: KITS_RS.into(),
            contents: kits_rs(&entries),
        },
    ])
}
