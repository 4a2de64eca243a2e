//! Endpoint coverage: every row of the vendors' endpoint catalogue (`vendor-docs/catalogue.md`)
//! against the specs' `x-catalogue-id`s and `x-hand-written` entries, rendered as `generated/COVERAGE.md`.
//!
//! Pure: catalogue text and loaded specs in, report text out. Generic over providers: each `## <Provider>`
//! section of the catalogue with an `id` column is one provider, split by its `version` column when the
//! section has more than one generation (PandaPon v1 / v2).

use crate::GeneratedFile;
use crate::error::{CodegenError, pointer};
use crate::spec::ProviderSpec;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The catalogue, relative to the workspace root.
pub const CATALOGUE: &str = "vendor-docs/catalogue.md";
/// The report, relative to the workspace root.
pub const REPORT: &str = "generated/COVERAGE.md";

/// One endpoint row of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueRow {
    /// The `## ` section it is in (the provider, e.g. `PandaPon`).
    pub section: String,
    /// `pp.1688.order.cancel` (backticks removed).
    pub id: String,
    pub area: String,
    pub name: String,
    /// The method cell as written (`POST`, `unknown (v2: POST)`, `POST (push)`).
    pub method: String,
    /// The path cell as written (`` `/a/b` ``, `` `/a` ‡ ``, `unknown`, `n/a (developer callback URL)`).
    pub path: String,
    /// `v1`, `v2`, or empty when the table has no version column.
    pub version: String,
    /// 1-based line in the catalogue.
    pub line: usize,
}

/// Whether the vendor publishes an endpoint's method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Published { method: String, path: String },
    NotPublished(&'static str),
}

impl CatalogueRow {
    /// Published method and path, or why the row has none a spec may use.
    pub fn availability(&self) -> Availability {
        let cell = self.path.trim();
        if cell.starts_with("n/a") {
            return Availability::NotPublished(
                "push message to your callback URL (no vendor path)",
            );
        }
        if cell.contains('†') {
            return Availability::NotPublished("path known only from third-party clients (†)");
        }
        if cell.contains('‡') {
            return Availability::NotPublished("path unconfirmed (‡)");
        }
        let path = match cell.split('`').nth(1) {
            Some(p) if p.starts_with('/') => p.to_string(),
            _ if cell.starts_with('/') => cell.to_string(),
            _ => return Availability::NotPublished("path not published"),
        };
        let method = self.method.trim();
        let first = method.split_whitespace().next().unwrap_or("");
        let known = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
        if !known.contains(&first) || method.contains("push") {
            return Availability::NotPublished("method not published");
        }
        Availability::Published {
            method: first.to_string(),
            path,
        }
    }
}

/// The parsed catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Shown in errors.
    pub file: PathBuf,
    pub rows: Vec<CatalogueRow>,
}

impl Catalogue {
    pub fn row(&self, id: &str) -> Option<&CatalogueRow> {
        self.rows.iter().find(|r| r.id == id)
    }
}

/// Read `root/vendor-docs/catalogue.md`; a missing file is a clear error, not a panic.
pub fn load_catalogue(root: &Path) -> Result<Catalogue, CodegenError> {
    let path = root.join(CATALOGUE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CodegenError::new(
            CATALOGUE,
            "",
            format!(
                "cannot read the endpoint catalogue ({e}); the coverage report (generated/COVERAGE.md) reads it \
                 from the repository (restore it with `git checkout -- vendor-docs`)"
            ),
        )
    })?;
    parse_catalogue(&text, Path::new(CATALOGUE))
}

/// Split a Markdown table line into trimmed cells (`\|` is not a separator).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '|' if !escaped => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
        escaped = c == '\\';
    }
    out.push(cur.trim().to_string());
    out
}

/// Parse the catalogue's endpoint tables: under each `## <Provider>` heading, every table whose header has
/// an `id` column (plus `method` and `path`). Other tables (counts) are skipped.
pub fn parse_catalogue(text: &str, file: &Path) -> Result<Catalogue, CodegenError> {
    let err = |line: usize, msg: String| CodegenError::new(file, format!("line {line}"), msg);
    let mut rows: Vec<CatalogueRow> = Vec::new();
    let mut section = String::new();
    // The current table: `None` before its header row; `Some(None)` when it is not an endpoint table.
    let mut table: Option<Option<(Columns, usize)>> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if let Some(h) = trimmed.strip_prefix("## ") {
            section = h.trim().to_string();
            table = None;
            continue;
        }
        if !trimmed.starts_with('|') {
            table = None;
            continue;
        }
        let row = cells(trimmed);
        let Some(endpoints) = table else {
            let columns = endpoint_columns(&row).map_err(|m| err(n, m))?;
            table = Some(columns.map(|c| (c, row.len())));
            continue;
        };
        let Some((cols, header_cells)) = endpoints else {
            continue;
        };
        let place = Place {
            section: &section,
            line: n,
            header_cells,
        };
        if let Some(r) = endpoint_row(&row, &cols, &place, &rows).map_err(|m| err(n, m))? {
            rows.push(r);
        }
    }
    if rows.is_empty() {
        return Err(CodegenError::new(
            file,
            "",
            "no endpoint rows found (tables with `id`, `method` and `path` columns under `## <Provider>` headings)",
        ));
    }
    Ok(Catalogue {
        file: file.to_path_buf(),
        rows,
    })
}

/// Column indexes of an endpoint table: id, area, name, method, path, version.
type Columns = [Option<usize>; 6];

/// Where a table row is: its provider section, line, and how many cells the table's header has.
struct Place<'a> {
    section: &'a str,
    line: usize,
    header_cells: usize,
}

/// The columns of a table from its header row; `None` for a table without an `id` column (not an endpoint
/// table).
fn endpoint_columns(header: &[String]) -> Result<Option<Columns>, String> {
    let find = |name: &str| header.iter().position(|c| c.eq_ignore_ascii_case(name));
    let cols = [
        find("id"),
        find("area"),
        find("name"),
        find("method"),
        find("path"),
        find("version"),
    ];
    match cols {
        [Some(_), _, _, Some(_), Some(_), _] => Ok(Some(cols)),
        [Some(_), ..] => {
            Err("an endpoint table (with an `id` column) needs `method` and `path` columns".into())
        }
        _ => Ok(None),
    }
}

/// One row of an endpoint table (`None` for the `|---|` line): as many cells as the header, a new id, under
/// a provider section.
fn endpoint_row(
    row: &[String],
    cols: &Columns,
    place: &Place,
    rows: &[CatalogueRow],
) -> Result<Option<CatalogueRow>, String> {
    if row
        .iter()
        .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
    {
        return Ok(None);
    }
    if row.len() != place.header_cells {
        return Err(format!(
            "row has {} cells, the table header {}",
            row.len(),
            place.header_cells
        ));
    }
    let get = |c: Option<usize>| c.map(|c| row[c].clone()).unwrap_or_default();
    let id = get(cols[0]).trim_matches('`').to_string();
    if id.is_empty() {
        return Err("row without an id".into());
    }
    if let Some(prev) = rows.iter().find(|r| r.id == id) {
        return Err(format!("duplicate id {id} (also on line {})", prev.line));
    }
    if place.section.is_empty() {
        return Err("endpoint row before any `## <Provider>` section".into());
    }
    Ok(Some(CatalogueRow {
        section: place.section.to_string(),
        id,
        area: get(cols[1]),
        name: get(cols[2]),
        method: get(cols[3]),
        path: get(cols[4]),
        version: get(cols[5]),
        line: place.line,
    }))
}

/// A spec operation (or hand-written endpoint) that covers a catalogue row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Implementation {
    /// The spec file (`specs/pandapon.yaml`).
    pub spec: String,
    /// The operation id (client method), or the hand-written entry's `rust-fn`.
    pub operation: String,
    pub method: String,
    pub path: String,
    pub hand_written: bool,
    /// Known only from third-party clients (`x-evidence`): compiled only with `unconfirmed-endpoints`.
    pub third_party: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Named by an operation's `x-catalogue-id` or an `x-hand-written` entry.
    InSpec(Vec<Implementation>),
    /// Named only by operations known from third-party clients (`x-evidence`, feature
    /// `unconfirmed-endpoints`).
    ThirdParty(Vec<Implementation>),
    /// Method and path are published, but no spec has the endpoint.
    NotYetDone,
    /// Why the vendor's documentation does not allow a spec operation.
    NotPublished(&'static str),
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::InSpec(_) => "in spec",
            Status::ThirdParty(_) => "third-party",
            Status::NotYetDone => "not yet done",
            Status::NotPublished(_) => "not published",
        }
    }
}

/// Totals of one provider (or generation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub endpoints: usize,
    pub in_spec: usize,
    /// In a spec, but known only from third-party clients (opt-in feature `unconfirmed-endpoints`).
    pub third_party: usize,
    pub not_yet_done: usize,
    pub not_published: usize,
}

impl Totals {
    fn add(&mut self, s: &Status) {
        self.endpoints += 1;
        match s {
            Status::InSpec(_) => self.in_spec += 1,
            Status::ThirdParty(_) => self.third_party += 1,
            Status::NotYetDone => self.not_yet_done += 1,
            Status::NotPublished(_) => self.not_published += 1,
        }
    }
}

/// One provider (or generation) of the report.
#[derive(Debug, Clone)]
pub struct Group {
    /// `PandaPon v1`, `Dajisaas`, …
    pub name: String,
    pub rows: Vec<(CatalogueRow, Status)>,
    pub totals: Totals,
}

#[derive(Debug, Clone)]
pub struct Coverage {
    pub groups: Vec<Group>,
    pub totals: Totals,
}

impl Coverage {
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }
}

/// Match every spec operation and hand-written entry to its catalogue row. An `x-catalogue-id` that is not a
/// row of the catalogue is an error naming the spec, the operation and where it is.
pub fn compute(catalogue: &Catalogue, specs: &[ProviderSpec]) -> Result<Coverage, CodegenError> {
    let mut implemented: BTreeMap<&str, Vec<Implementation>> = BTreeMap::new();
    for spec in specs {
        for (id, location, who, implementation) in implementations(spec) {
            let Some(row) = catalogue.row(id) else {
                return Err(CodegenError::new(
                    &spec.file,
                    location,
                    format!(
                        "{who} has catalogue id {id:?}, which is not a row of {}",
                        catalogue.file.display()
                    ),
                ));
            };
            implemented.entry(&row.id).or_default().push(implementation);
        }
    }
    let mut groups = Vec::new();
    let mut totals = Totals::default();
    for (section, versions) in sections(catalogue) {
        let split = versions.len() > 1;
        for version in versions {
            let name = if split {
                format!("{section} {version}")
            } else {
                section.to_string()
            };
            let rows = catalogue
                .rows
                .iter()
                .filter(|r| r.section == section && (!split || r.version == version));
            let group = group(name, rows, &implemented);
            for (_, status) in &group.rows {
                totals.add(status);
            }
            groups.push(group);
        }
    }
    Ok(Coverage { groups, totals })
}

/// What a spec implements: per operation and hand-written entry, (catalogue id, where it is written, who
/// names it, the implementation).
fn implementations(
    spec: &ProviderSpec,
) -> impl Iterator<Item = (&String, String, String, Implementation)> {
    let file = spec.file.display().to_string().replace('\\', "/");
    let operations = spec.operations.iter().map({
        let file = file.clone();
        move |op| {
            (
                &op.catalogue_id,
                pointer([
                    "paths",
                    &op.path,
                    &op.method.to_lowercase(),
                    "x-catalogue-id",
                ]),
                format!("operation {}", op.id),
                Implementation {
                    spec: file.clone(),
                    operation: op.id.clone(),
                    method: op.method.clone(),
                    path: op.path.clone(),
                    hand_written: false,
                    third_party: op.evidence.is_some(),
                },
            )
        }
    });
    let hand_written = spec.hand_written.iter().enumerate().map(move |(i, h)| {
        (
            &h.catalogue_id,
            format!("/x-hand-written/{i}/catalogue-id"),
            format!("hand-written endpoint {}", h.id),
            Implementation {
                spec: file.clone(),
                operation: h.rust_fn.clone(),
                method: h.method.clone(),
                path: h.path.clone(),
                hand_written: true,
                third_party: false,
            },
        )
    });
    operations.chain(hand_written)
}

/// The catalogue's sections in order, each with its versions sorted (a section with several versions is
/// reported one group per version).
fn sections(catalogue: &Catalogue) -> Vec<(&str, Vec<&str>)> {
    let mut sections: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in &catalogue.rows {
        match sections.iter_mut().find(|(s, _)| *s == r.section) {
            Some((_, versions)) => {
                if !versions.contains(&r.version.as_str()) {
                    versions.push(&r.version);
                }
            }
            None => sections.push((&r.section, vec![&r.version])),
        }
    }
    for (_, versions) in &mut sections {
        versions.sort();
    }
    sections
}

/// One group of the report: the status of each of its rows, and their totals.
fn group<'a>(
    name: String,
    rows: impl Iterator<Item = &'a CatalogueRow>,
    implemented: &BTreeMap<&str, Vec<Implementation>>,
) -> Group {
    let mut group = Group {
        name,
        rows: Vec::new(),
        totals: Totals::default(),
    };
    for r in rows {
        let status = match (implemented.get(r.id.as_str()), r.availability()) {
            (Some(imps), _) if imps.iter().all(|i| i.third_party) => {
                Status::ThirdParty(imps.clone())
            }
            (Some(imps), _) => Status::InSpec(imps.clone()),
            (None, Availability::Published { .. }) => Status::NotYetDone,
            (None, Availability::NotPublished(why)) => Status::NotPublished(why),
        };
        group.totals.add(&status);
        group.rows.push((r.clone(), status));
    }
    group
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The per-provider totals as a Markdown table (what `cargo xtask coverage` prints).
pub fn totals_table(coverage: &Coverage) -> String {
    let mut out = String::from(
        "| provider | endpoints | in spec | third-party | not yet done | not published |\n|---|---:|---:|---:|---:|---:|\n",
    );
    let rows = coverage
        .groups
        .iter()
        .map(|g| (g.name.as_str(), &g.totals))
        .chain([("**all**", &coverage.totals)]);
    for (name, t) in rows {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} |",
            t.endpoints, t.in_spec, t.third_party, t.not_yet_done, t.not_published
        );
    }
    out
}

/// The Markdown report (deterministic).
pub fn render(coverage: &Coverage, header: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<!-- {} -->", header.trim());
    out.push_str(
        "# Endpoint coverage\n\n\
         Every endpoint of the vendors' catalogue (`vendor-docs/catalogue.md`) against the specs:\n\n\
         - **in spec** — an operation's `x-catalogue-id` (or an `x-hand-written` entry) names the row;\n\
         - **third-party** — only operations known from third-party clients name the row (`x-evidence`): they\n  \
           are unconfirmed by the vendor and compiled only with the generated crate's feature\n  \
           `unconfirmed-endpoints`;\n\
         - **not yet done** — the vendor publishes the method and path, but no spec has the endpoint yet;\n\
         - **not published** — the method or path is not published, is known only from third-party clients (†)\n  \
           without parameters a spec could use, is unconfirmed (‡), or the row is a push message to your\n  \
           callback URL. These stay out of the specs (use `Client::call_raw` for an endpoint a vendor gives you\n  \
           privately).\n\n\
         ⚠ marks an operation whose method or path differs from the catalogue's (or whose catalogue path is\n\
         unconfirmed): the spec's `x-note` says why.\n\n\
         Regenerated by `cargo xtask regen` and `cargo xtask coverage`; `cargo xtask regen --check` fails when it\n\
         is stale.\n\n## Totals\n\n",
    );
    out.push_str(&totals_table(coverage));
    for g in &coverage.groups {
        let _ = write!(
            out,
            "\n## {}\n\n| id | area | endpoint | method | path | status | in spec as |\n|---|---|---|---|---|---|---|\n",
            g.name
        );
        for (r, status) in &g.rows {
            let (label, ops) = match status {
                Status::InSpec(imps) | Status::ThirdParty(imps) => {
                    let ops = imps
                        .iter()
                        .map(|i| implemented_as(r, i))
                        .collect::<Vec<_>>()
                        .join("<br>");
                    (status.label().to_string(), ops)
                }
                Status::NotYetDone => (status.label().to_string(), String::new()),
                Status::NotPublished(why) => (format!("not published: {why}"), String::new()),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                r.id,
                cell(&r.area),
                cell(&r.name),
                cell(&r.method),
                cell(&r.path),
                label,
                ops
            );
        }
    }
    out
}

/// The "in spec as" cell of one implementation of row `r`, with a ⚠ where the spec and the catalogue
/// disagree (method, path, evidence).
fn implemented_as(r: &CatalogueRow, i: &Implementation) -> String {
    let mut s = if i.hand_written {
        format!("`{}` (hand-written, {})", i.operation, i.spec)
    } else {
        format!("`{}` ({})", i.operation, i.spec)
    };
    match r.availability() {
        Availability::Published { method, path } => {
            if i.third_party {
                s.push_str(" ⚠ the vendor publishes it: drop `x-evidence`");
            }
            if method != i.method || path != i.path {
                let _ = write!(s, " ⚠ spec has {} `{}`", i.method, i.path);
            }
        }
        Availability::NotPublished(why) if i.third_party && why.contains('†') => {
            let path = r.path.split('`').nth(1).unwrap_or("");
            let method = r.method.split_whitespace().next().unwrap_or("");
            if (method, path) == (i.method.as_str(), i.path.as_str()) {
                s.push_str(" (unconfirmed, feature `unconfirmed-endpoints`)");
            } else {
                let _ = write!(s, " ⚠ spec has {} `{}`", i.method, i.path);
            }
        }
        Availability::NotPublished(why) => {
            let _ = write!(s, " ⚠ catalogue: {why}");
        }
    }
    s
}

/// The coverage of the loaded specs against the catalogue beside the workspace `root`, and
/// `generated/COVERAGE.md` rendering it.
pub fn generate(
    root: &Path,
    specs: &[ProviderSpec],
) -> Result<(Coverage, GeneratedFile), CodegenError> {
    let catalogue = load_catalogue(root)?;
    let coverage = compute(&catalogue, specs)?;
    let mut sources: Vec<String> = specs
        .iter()
        .map(|s| s.file.display().to_string().replace('\\', "/"))
        .collect();
    sources.push(CATALOGUE.to_string());
    let header = crate::render::header(&sources.join(", "), "");
    let file = GeneratedFile {
        path: PathBuf::from(REPORT),
        contents: render(&coverage, &header),
    };
    Ok((coverage, file))
}
