//! `cargo xtask regen [--check]`: regenerate `generated/` and the registry's lines (`crates/registry`:
//! `src/kits.rs` and the generated regions of its `Cargo.toml`) from `specs/` (or check they are up to date),
//! and `cargo xtask coverage`: write `generated/COVERAGE.md` and print its totals.
//!
//! All generation happens in memory first; a bad spec exits non-zero naming the file, the location and the
//! reason, and nothing is touched. Files are written in the order codegen lists them: the generated crates
//! first, the registry last, so a crate exists before the registry names it (cargo loads the manifest of
//! every dependency, this xtask's build included) — on a clean clone as after adding a spec.

use sourcing_codegen::{GENERATED_DIR, GeneratedFile};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask regen [--check] | cargo xtask coverage

  regen           regenerate generated/ from specs/ (crates and COVERAGE.md), then the
                  registry's lines (crates/registry/src/kits.rs, the generated regions of
                  crates/registry/Cargo.toml)
  regen --check   exit 1 with a unified diff if any of them differs from what specs/ produce
  coverage        write generated/COVERAGE.md (specs/ against vendor-docs/catalogue.md)
                  and print its totals

  SOURCING_ROOT   workspace root to work on (default: the Cargo workspace containing the current
                  directory, so a binary shared between checkouts through one target dir works on
                  the checkout it is run in)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = match workspace_root() {
        Ok(root) => root,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["regen"] => regen(&root, false),
        ["regen", "--check"] => regen(&root, true),
        ["coverage"] => coverage(&root),
        ["-h" | "--help" | "help"] | [] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `SOURCING_ROOT`, else the nearest directory at or above the current one whose `Cargo.toml` declares a
/// `[workspace]`. Resolved at run time, never from where the binary was built: with a shared target dir
/// (sccache, a global `CARGO_TARGET_DIR`) one binary serves several checkouts.
fn workspace_root() -> Result<PathBuf, String> {
    if let Some(root) = std::env::var_os("SOURCING_ROOT") {
        return Ok(PathBuf::from(root));
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    cwd.ancestors()
        .find(|dir| is_workspace_root(dir))
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            format!(
                "no Cargo workspace at or above {}; run from inside the checkout or set SOURCING_ROOT",
                cwd.display()
            )
        })
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|toml| toml.lines().any(|l| l.trim() == "[workspace]"))
}

fn regen(root: &Path, check: bool) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let files = sourcing_codegen::generate_all(root)?;
    let stale = stale_files(root, &files)?;
    if check {
        let mut drift = Vec::new();
        for f in &files {
            let current = std::fs::read_to_string(root.join(&f.path)).unwrap_or_default();
            if current != f.contents {
                drift.push(f.path.display().to_string());
                print_diff(&f.path, &current, &f.contents);
            }
        }
        for p in &stale {
            drift.push(p.display().to_string());
            let current = std::fs::read_to_string(root.join(p)).unwrap_or_default();
            print_diff(p, &current, "");
        }
        if !drift.is_empty() {
            eprintln!(
                "DRIFT: {} generated file(s) differ from specs/ ({}); run `cargo xtask regen` and commit the result",
                drift.len(),
                drift.join(", ")
            );
            return Ok(ExitCode::FAILURE);
        }
        eprintln!(
            "generated/ and the registry's lines are up to date ({} files, {:.0?})",
            files.len(),
            started.elapsed()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut written = 0;
    for f in &files {
        if write_if_changed(&root.join(&f.path), &f.contents)? {
            written += 1;
        }
    }
    for p in &stale {
        std::fs::remove_file(root.join(p))?;
    }
    eprintln!(
        "regenerated {} files ({written} changed, {} removed) in {:.0?}",
        files.len(),
        stale.len(),
        started.elapsed()
    );
    Ok(ExitCode::SUCCESS)
}

fn coverage(root: &Path) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (coverage, file) = sourcing_codegen::generate_coverage(root)?;
    let changed = write_if_changed(&root.join(&file.path), &file.contents)?;
    print!("{}", sourcing_codegen::coverage::totals_table(&coverage));
    eprintln!(
        "{} {}",
        if changed { "wrote" } else { "unchanged:" },
        file.path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Files under `generated/<crate>/` of a generated crate that generation no longer produces.
fn stale_files(root: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<PathBuf>> {
    let produced: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    // Crate directories only: top-level files such as generated/COVERAGE.md are not crates.
    let crates: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| {
            let mut parts = f.path.strip_prefix(GENERATED_DIR).ok()?.components();
            let first = parts.next()?;
            parts.next()?;
            Some(first)
        })
        .map(|c| Path::new(GENERATED_DIR).join(c.as_os_str()))
        .collect();
    let mut stale = Vec::new();
    for dir in crates {
        walk(root, &dir, &mut |p| {
            if !produced.contains(p) {
                stale.push(p.to_path_buf());
            }
        })?;
    }
    stale.sort();
    Ok(stale)
}

fn walk(root: &Path, rel: &Path, f: &mut dyn FnMut(&Path)) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
        return Ok(());
    };
    for e in entries {
        let e = e?;
        let rel = rel.join(e.file_name());
        if e.file_type()?.is_dir() {
            walk(root, &rel, f)?;
        } else {
            f(&rel);
        }
    }
    Ok(())
}

/// Write `contents` unless the file already holds them; whether it wrote.
fn write_if_changed(path: &Path, contents: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return Ok(false);
    }
    write_atomically(path, contents)?;
    Ok(true)
}

fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("regen-tmp");
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

fn print_diff(path: &Path, old: &str, new: &str) {
    let p = path.display().to_string();
    let diff = similar::TextDiff::from_lines(old, new);
    print!(
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{p}"), &format!("b/{p}"))
    );
}
