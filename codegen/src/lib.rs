//! Code generation: spec -> validated model -> progenitor settings -> tokens -> prettyplease -> crate files,
//! plus the endpoint coverage report (`generated/COVERAGE.md`, from the specs and the vendors' catalogue) and
//! the registry's lines (`crates/registry`: its kit list and its dependencies on the generated crates).
//!
//! Pure: reads specs, returns files. Writing, diffing and the command line live in `xtask`.

pub mod client;
pub mod coverage;
pub mod error;
pub mod json_schema;
pub mod registry;
pub mod render;
pub mod spec;
pub mod templates;
pub use spec::validate;

pub use error::CodegenError;
use std::path::{Path, PathBuf};

/// One generated file, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// The directory generated crates live in.
pub const GENERATED_DIR: &str = "generated";
pub const SPECS_DIR: &str = "specs";

/// Every spec file under `root/specs`, sorted.
pub fn spec_files(root: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let dir = root.join(SPECS_DIR);
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| CodegenError::new(SPECS_DIR, "", format!("cannot list specs: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Generate the crate for one spec.
pub fn generate_spec(root: &Path, spec_path: &Path) -> Result<Vec<GeneratedFile>, CodegenError> {
    let display = spec_path.strip_prefix(root).unwrap_or(spec_path);
    let spec = spec::load(spec_path, display)?;
    generate_in(root, &spec)
}

/// Generate the crate files for a loaded spec, the Rust files it names read next to `spec.file` as it is
/// (relative to the current directory, unless absolute).
pub fn generate(spec: &spec::ProviderSpec) -> Result<Vec<GeneratedFile>, CodegenError> {
    generate_in(Path::new(""), spec)
}

/// Generate the crate files for a spec loaded from `root` (its `file` relative to `root`, as [`load_all`]
/// gives it): the Rust files it names are read from `root`, wherever the process runs.
pub fn generate_in(
    root: &Path,
    spec: &spec::ProviderSpec,
) -> Result<Vec<GeneratedFile>, CodegenError> {
    let file = spec.file.display().to_string().replace('\\', "/");
    let fail = |what: &str, e: syn::Error| {
        CodegenError::new(&spec.file, "", format!("{what} does not parse: {e}"))
    };
    templates::check_extensions(spec).map_err(|(at, m)| CodegenError::new(&spec.file, at, m))?;
    registry::kit(spec)?;
    let client = client::generate(spec)?;
    let dir = Path::new(GENERATED_DIR).join(&spec.meta.crate_name);
    let at = |p: &str| dir.join(p);
    let mut extension = Vec::new();
    for (key, module) in templates::RUST_FILES {
        extension.extend(rust_file(root, spec, key, at(&format!("src/{module}.rs")))?);
    }
    let mut files = vec![
        GeneratedFile {
            path: at("Cargo.toml"),
            contents: templates::cargo_toml(spec, &render::header(&file, "#")),
        },
        GeneratedFile {
            path: at("README.md"),
            contents: templates::readme(spec, &render::header(&file, "")),
        },
        GeneratedFile {
            path: at("src/lib.rs"),
            contents: templates::lib_rs(spec, render::header(&file, "//").trim_end()),
        },
        GeneratedFile {
            path: at("src/client.rs"),
            contents: render::rust_file(&file, &client.file),
        },
        GeneratedFile {
            path: at("src/hooks.rs"),
            contents: render::rust_tokens(&file, templates::hooks(spec, &client))
                .map_err(|e| fail("hooks.rs", e))?,
        },
        GeneratedFile {
            path: at("src/operations.rs"),
            contents: render::rust_tokens(&file, templates::operations(spec))
                .map_err(|e| fail("operations.rs", e))?,
        },
    ];
    files.extend(extension);
    Ok(files)
}

/// A hand-written Rust file the spec names under `x-sourcing.rust.<key>` (relative to the spec) — its own
/// scheme and envelope (`source`), its purchase flow (`flow`), its callback format (`callbacks`) — copied as
/// `to` under the generated-file header.
fn rust_file(
    root: &Path,
    spec: &spec::ProviderSpec,
    key: &str,
    to: PathBuf,
) -> Result<Option<GeneratedFile>, CodegenError> {
    let Some(source) = templates::rust_extension(spec, key) else {
        return Ok(None);
    };
    let from = spec.file.parent().unwrap_or(Path::new("")).join(source);
    let text = std::fs::read_to_string(root.join(&from)).map_err(|e| {
        CodegenError::new(
            &spec.file,
            format!("/x-sourcing/rust/{key}"),
            format!("cannot read {}: {e}", from.display()),
        )
    })?;
    let file = spec.file.display().to_string().replace('\\', "/");
    Ok(Some(GeneratedFile {
        path: to,
        contents: format!("{}{text}", render::header(&file, "//")),
    }))
}

/// Load and validate every spec under `root/specs`. Fails on the first bad spec.
pub fn load_all(root: &Path) -> Result<Vec<spec::ProviderSpec>, CodegenError> {
    spec_files(root)?
        .iter()
        .map(|path| spec::load(path, path.strip_prefix(root).unwrap_or(path)))
        .collect()
}

/// Generate every spec under `root/specs`, then `generated/COVERAGE.md` (which needs
/// `root/vendor-docs/catalogue.md`), then the registry's lines ([`registry::generate`]: its `Cargo.toml`, whose
/// generated regions are rewritten, and `src/kits.rs`). Fails on the first bad spec; nothing is written here.
/// The registry's files come last: written in this order, every crate the registry names exists first.
pub fn generate_all(root: &Path) -> Result<Vec<GeneratedFile>, CodegenError> {
    let specs = load_all(root)?;
    let mut out = Vec::new();
    for spec in &specs {
        out.extend(generate_in(root, spec)?);
    }
    out.push(coverage::generate(root, &specs)?.1);
    out.extend(registry::generate(root, &specs)?);
    Ok(out)
}

/// Only the coverage and `generated/COVERAGE.md` (what `cargo xtask coverage` writes).
pub fn generate_coverage(root: &Path) -> Result<(coverage::Coverage, GeneratedFile), CodegenError> {
    coverage::generate(root, &load_all(root)?)
}
