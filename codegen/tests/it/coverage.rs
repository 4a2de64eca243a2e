//! The coverage report: catalogue parsing, row statuses, per-provider totals, unknown catalogue ids as
//! errors naming the operation, a missing catalogue as a clear error — and the real workspace's PandaPon
//! spec covering every PandaPon endpoint whose method and path are published.

use sourcing_codegen::coverage::{
    self, Availability, Status, compute, load_catalogue, parse_catalogue, render,
};
use sourcing_codegen::spec::{ProviderSpec, parse};
use std::path::Path;

const CATALOGUE: &str = r#"# Endpoint catalogue

| id | area | name | method | path | version | doc status | example files | source URL |
|---|---|---|---|---|---|---|---|---|
| `x.orphan` | A | before any section | GET | `/x` | v1 | F | – | – |

## Demo

Sources: …

| id | area | name | method | path | version | doc status | example files | source URL |
|---|---|---|---|---|---|---|---|---|
| `demo.a` | A | Get a | GET | `/a` | v1 | F | – | https://example.test/a |
| `demo.b` | B | Get b | POST | `/b` | v1 | P | – | – |
| `demo.c` | C | Unknown path | POST | unknown | v1 | N | – | – |
| `demo.d` | D | Third party | GET | `/d` † | v1 | N | – | – |
| `demo.e` | E | Unconfirmed | POST | `/e` ‡ | v1 | N | – | – |
| `demo.f` | F | Push | POST (push) | n/a (developer callback URL) | v1 | P | – | – |
| `demo.g` | G | No method | unknown | `/g` | v1 | N | – | – |
| `demo.v2.a` | A | Get a v2 | GET | `/v2/a` | v2 | F | – | – |

Footnotes: …

## Other

| id | area | name | method | path | version | doc status | example files | source URL |
|---|---|---|---|---|---|---|---|---|
| `other.x` | X | Upload | POST | `/upload` | v1 | P | – | – |

## Counts

| provider | endpoints total |
|---|---|
| Demo | 8 |
"#;

fn catalogue() -> coverage::Catalogue {
    // The orphan row (before any section) is an error; drop it for the other tests.
    let text = CATALOGUE.replace(
        "| `x.orphan` | A | before any section | GET | `/x` | v1 | F | – | – |\n",
        "",
    );
    parse_catalogue(&text, Path::new("CATALOGUE.md")).unwrap()
}

fn spec(catalogue_id: &str, hand_written: &str) -> ProviderSpec {
    let text = format!(
        r##"
openapi: 3.0.3
info: {{title: T, version: "1"}}
servers: [{{url: "https://example.test"}}]
x-sourcing: {{crate: demo, title: Demo, envelope: pandapon, credentials: access-key, env-prefix: DEMO}}
security: [{{AccessKeyV1: []}}]
{hand_written}
paths:
  /a:
    get:
      operationId: area_get
      x-effect: read
      x-catalogue-id: {catalogue_id}
      tags: [area]
      summary: Get a
      externalDocs: {{url: "https://example.test/a"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/AEnvelope"}}
  /e:
    post:
      operationId: area_e
      x-effect: write
      x-catalogue-id: demo.e
      tags: [area]
      summary: Post e
      externalDocs: {{url: "https://example.test/e"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/AEnvelope"}}
components:
  securitySchemes:
    AccessKeyV1: {{type: apiKey, in: header, name: access-key}}
  schemas:
    Envelope:
      type: object
      properties: {{code: {{type: integer}}}}
    AEnvelope:
      allOf:
        - $ref: "#/components/schemas/Envelope"
        - type: object
          properties:
            data: {{type: string}}
"##
    );
    parse(&text, Path::new("specs/demo.yaml")).unwrap()
}

#[test]
fn parses_endpoint_tables_per_section_and_skips_other_tables() {
    let c = catalogue();
    let ids: Vec<&str> = c.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "demo.a",
            "demo.b",
            "demo.c",
            "demo.d",
            "demo.e",
            "demo.f",
            "demo.g",
            "demo.v2.a",
            "other.x"
        ]
    );
    let a = c.row("demo.a").unwrap();
    assert_eq!((a.section.as_str(), a.version.as_str()), ("Demo", "v1"));
    assert_eq!(
        a.availability(),
        Availability::Published {
            method: "GET".into(),
            path: "/a".into()
        }
    );
    let why = |id: &str| match c.row(id).unwrap().availability() {
        Availability::NotPublished(why) => why,
        other => panic!("{id}: {other:?}"),
    };
    assert_eq!(why("demo.c"), "path not published");
    assert!(why("demo.d").contains('†'));
    assert!(why("demo.e").contains('‡'));
    assert!(why("demo.f").contains("push"));
    assert_eq!(why("demo.g"), "method not published");
}

#[test]
fn statuses_and_totals_per_provider_and_generation() {
    let hand = "x-hand-written:\n  - {id: upload, method: post, path: /upload, catalogue-id: other.x, rust-fn: upload_file}";
    let cov = compute(&catalogue(), &[spec("demo.a", hand)]).unwrap();
    let names: Vec<&str> = cov.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Demo v1", "Demo v2", "Other"]);

    let v1 = cov.group("Demo v1").unwrap();
    let status = |id: &str| &v1.rows.iter().find(|(r, _)| r.id == id).unwrap().1;
    assert!(matches!(status("demo.a"), Status::InSpec(ops) if ops[0].operation == "area_get"));
    assert_eq!(status("demo.b"), &Status::NotYetDone);
    assert!(matches!(status("demo.c"), Status::NotPublished(_)));
    // An unconfirmed (‡) row a spec includes anyway counts as in spec.
    assert!(matches!(status("demo.e"), Status::InSpec(_)));
    assert_eq!(
        (
            v1.totals.endpoints,
            v1.totals.in_spec,
            v1.totals.not_yet_done,
            v1.totals.not_published
        ),
        (7, 2, 1, 4)
    );
    let v2 = cov.group("Demo v2").unwrap();
    assert_eq!((v2.totals.endpoints, v2.totals.not_yet_done), (1, 1));
    let other = cov.group("Other").unwrap();
    assert!(
        matches!(&other.rows[0].1, Status::InSpec(ops) if ops[0].hand_written && ops[0].operation == "upload_file")
    );
    assert_eq!((cov.totals.endpoints, cov.totals.in_spec), (9, 3));

    let report = render(&cov, "@generated test");
    assert!(
        report.contains("| Demo v1 | 7 | 2 | 0 | 1 | 4 |"),
        "{report}"
    );
    assert!(
        report.contains("| **all** | 9 | 3 | 0 | 2 | 4 |"),
        "{report}"
    );
    assert!(report.contains("## Demo v2"), "{report}");
    assert!(
        report.contains("`area_e` (specs/demo.yaml) ⚠ catalogue: path unconfirmed (‡)"),
        "{report}"
    );
    assert!(report.contains("`upload_file` (hand-written, specs/demo.yaml)"));
    assert_eq!(report, render(&cov, "@generated test"), "deterministic");
}

/// `spec()` with one more operation, `GET /d`, known only from third-party clients, naming `catalogue_id`.
fn spec_with_third_party(catalogue_id: &str) -> ProviderSpec {
    let base = spec("demo.a", "");
    let text = format!(
        r##"
openapi: 3.0.3
info: {{title: T, version: "1"}}
servers: [{{url: "https://example.test"}}]
x-sourcing: {{crate: demo, title: Demo, envelope: pandapon, credentials: access-key, env-prefix: DEMO}}
security: [{{AccessKeyV1: []}}]
paths:
  /d:
    get:
      operationId: area_d
      x-effect: read
      x-catalogue-id: {catalogue_id}
      x-evidence: third-party-client
      x-evidence-source: a client calls GET /d
      tags: [area]
      summary: Get d
      externalDocs: {{url: "https://example.test/d"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/AEnvelope"}}
components:
  securitySchemes:
    AccessKeyV1: {{type: apiKey, in: header, name: access-key}}
  schemas:
    Envelope:
      type: object
      properties: {{code: {{type: integer}}}}
    AEnvelope:
      allOf:
        - $ref: "#/components/schemas/Envelope"
        - type: object
          properties:
            data: {{type: string}}
"##
    );
    let mut extra = parse(&text, Path::new("specs/demo.yaml")).unwrap();
    extra.operations.extend(base.operations);
    extra
}

#[test]
fn third_party_operations_have_their_own_column() {
    let cov = compute(&catalogue(), &[spec_with_third_party("demo.d")]).unwrap();
    let v1 = cov.group("Demo v1").unwrap();
    let status = |id: &str| &v1.rows.iter().find(|(r, _)| r.id == id).unwrap().1;
    assert!(matches!(status("demo.d"), Status::ThirdParty(ops) if ops[0].operation == "area_d"));
    assert_eq!(status("demo.d").label(), "third-party");
    assert!(matches!(status("demo.a"), Status::InSpec(_)));
    assert_eq!(
        (
            v1.totals.endpoints,
            v1.totals.in_spec,
            v1.totals.third_party,
            v1.totals.not_yet_done,
            v1.totals.not_published
        ),
        (7, 2, 1, 1, 3)
    );
    let report = render(&cov, "h");
    assert!(
        report.contains(
            "| provider | endpoints | in spec | third-party | not yet done | not published |"
        ),
        "{report}"
    );
    assert!(
        report.contains("| Demo v1 | 7 | 2 | 1 | 1 | 3 |"),
        "{report}"
    );
    assert!(
        report.contains(
            "| third-party | `area_d` (specs/demo.yaml) (unconfirmed, feature `unconfirmed-endpoints`) |"
        ),
        "{report}"
    );

    // Evidence for a row the vendor publishes, or for another path than the catalogue's, is flagged.
    let report = render(
        &compute(&catalogue(), &[spec_with_third_party("demo.b")]).unwrap(),
        "h",
    );
    assert!(
        report.contains("`area_d` (specs/demo.yaml) ⚠ the vendor publishes it: drop `x-evidence`"),
        "{report}"
    );
}

#[test]
fn an_operation_whose_path_differs_from_the_catalogue_is_flagged() {
    // `area_get` is GET /a; demo.b is POST /b.
    let cov = compute(&catalogue(), &[spec("demo.b", "")]).unwrap();
    let report = render(&cov, "h");
    assert!(
        report.contains("`area_get` (specs/demo.yaml) ⚠ spec has GET `/a`"),
        "{report}"
    );
}

#[test]
fn unknown_catalogue_ids_are_errors_naming_the_operation() {
    let err = compute(&catalogue(), &[spec("demo.nope", "")])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("specs/demo.yaml at /paths/~1a/get/x-catalogue-id"),
        "{err}"
    );
    assert!(err.contains("operation area_get"), "{err}");
    assert!(err.contains("catalogue id \"demo.nope\""), "{err}");

    let hand =
        "x-hand-written:\n  - {id: up, method: post, path: /up, catalogue-id: nope.x, rust-fn: up}";
    let err = compute(&catalogue(), &[spec("demo.a", hand)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("/x-hand-written/0/catalogue-id"), "{err}");
    assert!(err.contains("hand-written endpoint up"), "{err}");
}

#[test]
fn malformed_catalogues_fail_with_a_line() {
    let err = parse_catalogue(CATALOGUE, Path::new("CATALOGUE.md"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("CATALOGUE.md at line 5"), "{err}");
    assert!(err.contains("before any"), "{err}");

    let dup = catalogue_text_with("| `demo.a` | A | again | GET | `/a2` | v1 | F | – | – |\n");
    let err = parse_catalogue(&dup, Path::new("C.md"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate id demo.a"), "{err}");

    let short = catalogue_text_with("| `demo.z` | Z | short | GET |\n");
    let err = parse_catalogue(&short, Path::new("C.md"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cells"), "{err}");

    let err = parse_catalogue("# nothing here\n", Path::new("C.md"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no endpoint rows"), "{err}");
}

fn catalogue_text_with(extra_row: &str) -> String {
    CATALOGUE
        .replace(
            "| `x.orphan` | A | before any section | GET | `/x` | v1 | F | – | – |\n",
            "",
        )
        .replace("| `demo.v2.a` |", &format!("{}| `demo.v2.a` |", extra_row))
}

#[test]
fn a_missing_catalogue_is_a_clear_error() {
    let root = std::env::temp_dir().join(format!("sourcing-coverage-none-{}", std::process::id()));
    let err = load_catalogue(&root.join("repo")).unwrap_err().to_string();
    assert!(
        err.starts_with("vendor-docs/catalogue.md: cannot read the endpoint catalogue"),
        "{err}"
    );
    assert!(err.contains("git checkout -- vendor-docs"), "{err}");
}

/// The workspace itself: every PandaPon endpoint whose method and path are published is in the spec,
/// and the only unconfirmed one included is the documented ‡ address path.
#[test]
fn pandapon_covers_every_published_endpoint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let specs = sourcing_codegen::load_all(root).unwrap();
    let cov = compute(&load_catalogue(root).unwrap(), &specs).unwrap();
    for name in ["PandaPon v1", "PandaPon v2"] {
        let g = cov.group(name).unwrap();
        let todo: Vec<&str> = g
            .rows
            .iter()
            .filter(|(_, s)| *s == Status::NotYetDone)
            .map(|(r, _)| r.id.as_str())
            .collect();
        assert!(todo.is_empty(), "{name}: not yet done {todo:?}");
        for (row, status) in &g.rows {
            if let (Status::InSpec(ops), Availability::Published { method, path }) =
                (status, row.availability())
            {
                for op in ops {
                    assert_eq!((&op.method, &op.path), (&method, &path), "{}", row.id);
                }
            }
        }
    }
    assert_eq!(cov.group("PandaPon v1").unwrap().totals.in_spec, 30);
    assert_eq!(cov.group("PandaPon v2").unwrap().totals.in_spec, 17);
}

/// The workspace itself: every † row of the catalogue is in a spec as a third-party operation with the
/// catalogue's method and path, counted in its own column.
#[test]
fn every_third_party_row_is_a_third_party_operation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let specs = sourcing_codegen::load_all(root).unwrap();
    let cov = compute(&load_catalogue(root).unwrap(), &specs).unwrap();
    let mut seen = Vec::new();
    for g in &cov.groups {
        for (row, status) in &g.rows {
            if !row.path.contains('†') {
                assert!(!matches!(status, Status::ThirdParty(_)), "{}", row.id);
                continue;
            }
            let Status::ThirdParty(ops) = status else {
                panic!("{}: † row is {status:?}", row.id)
            };
            let path = row.path.split('`').nth(1).unwrap();
            assert_eq!(
                (ops[0].method.as_str(), ops[0].path.as_str()),
                (row.method.as_str(), path)
            );
            seen.push(row.id.as_str());
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let third_party = |name: &str| cov.group(name).unwrap().totals.third_party;
    assert_eq!((third_party("Dajisaas"), third_party("Xportcn")), (3, 2));
    assert_eq!(cov.totals.third_party, 5);
}
