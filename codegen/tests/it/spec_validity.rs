//! Spec validity: the official OpenAPI 3.0 JSON Schema runs first, the strictness rules OpenAPI tools rely
//! on, and embedded examples against their schemas (with checked `x-example-deviation`s). Every failure
//! names the file and a JSON pointer; nothing panics.

use sourcing_codegen::spec::parse;
use std::path::Path;

const VALID: &str = concat!(
    crate::demo::demo_head!(),
    r##"  /a:
    post:
      operationId: area_post
      x-effect: write
      x-catalogue-id: demo.a
      tags: [area]
      summary: Post a
      externalDocs: {url: "https://example.test/a"}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Line"}
            examples:
              published:
                value: {"itemId": "1", "price": "2.5"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/AEnvelope"}
              examples:
                published:
                  value: {"code": 200, "data": {"x": "y"}}
components:
  securitySchemes:
    AccessKeyV1: {type: apiKey, in: header, name: access-key}
  schemas:
    Envelope:
      type: object
      properties: {code: {type: integer}}
    Line:
      type: object
      properties:
        itemId: {type: string, description: "Item id (16 digits in the example, as text)."}
        price: {type: string, description: "Unit price in `currency`, as text (unit not published)."}
    A:
      type: object
      properties:
        x: {type: string}
    AEnvelope:
      allOf:
        - $ref: "#/components/schemas/Envelope"
        - type: object
          properties:
            data: {$ref: "#/components/schemas/A"}
"##
);

fn error_of(spec: &str) -> String {
    let r = std::panic::catch_unwind(|| parse(spec, Path::new("specs/demo.yaml")));
    match r.expect("parse must not panic") {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn with(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "case {from:?} does not apply");
    VALID.replacen(from, to, 1)
}

#[test]
fn the_valid_spec_passes_and_counts_its_examples() {
    let spec = parse(VALID, Path::new("specs/demo.yaml")).unwrap();
    assert_eq!(spec.example_counts.conforming, 2);
    assert_eq!(spec.example_counts.deviations, 0);
}

/// The xportcn slip of issue 12: in a flow mapping, the unquoted comma in a description ends the value and
/// turns the rest into a junk key (`"as text).": null`). The official schema refuses the junk key.
#[test]
fn an_unquoted_comma_in_a_flow_mapping_is_refused_by_the_openapi_schema() {
    let broken = with(
        "{type: string, description: \"Unit price in `currency`, as text (unit not published).\"}",
        "{type: string, description: Unit price in `currency`, as text (unit not published).}",
    );
    let err = error_of(&broken);
    assert!(
        err.starts_with("specs/demo.yaml at /components/schemas/Line/properties/price: not an OpenAPI 3.0 document per the official JSON Schema"),
        "{err}"
    );
    assert!(err.contains("as text (unit not published)."), "{err}");
    let broken = with(
        "{type: string, description: \"Item id (16 digits in the example, as text).\"}",
        "{type: string, description: Item id (16 digits in the example, as text).}",
    );
    assert!(
        error_of(&broken)
            .contains("at /components/schemas/Line/properties/itemId: not an OpenAPI 3.0 document"),
    );
}

#[test]
fn other_meta_schema_violations_name_the_pointer() {
    let err = error_of(&with(
        "      summary: Post a\n",
        "      summary: [not, text]\n",
    ));
    assert!(
        err.contains("at /paths/~1a/post/summary: not an OpenAPI 3.0 document"),
        "{err}"
    );
    let err = error_of(&with(
        "    Line:\n      type: object\n",
        "    Line:\n      type: objet\n",
    ));
    assert!(err.contains("/components/schemas/Line"), "{err}");
}

#[test]
fn nullable_without_type_is_refused() {
    let err = error_of(&with(
        "            data: {$ref: \"#/components/schemas/A\"}",
        "            data: {nullable: true, allOf: [{$ref: \"#/components/schemas/A\"}]}",
    ));
    assert!(
        err.contains("at /components/schemas/AEnvelope/allOf/1/properties/data: nullable: true without a type"),
        "{err}"
    );
    // With the type it is fine, and a property *named* nullable is no keyword.
    parse(
        &with(
            "        x: {type: string}\n",
            "        x: {type: string, nullable: true}\n        nullable: {type: boolean}\n",
        ),
        Path::new("specs/demo.yaml"),
    )
    .unwrap();
}

#[test]
fn a_keyword_beside_a_ref_is_refused() {
    let err = error_of(&with(
        "            data: {$ref: \"#/components/schemas/A\"}",
        "            data: {$ref: \"#/components/schemas/A\", description: the data}",
    ));
    assert!(
        err.contains("at /components/schemas/AEnvelope/allOf/1/properties/data: keywords beside $ref are ignored by OpenAPI 3.0 (description): wrap the $ref in allOf"),
        "{err}"
    );
}

#[test]
fn an_example_that_does_not_conform_is_refused() {
    let err = error_of(&with(
        r#"{"itemId": "1", "price": "2.5"}"#,
        r#"{"itemId": 1, "price": "2.5"}"#,
    ));
    assert!(
        err.contains("at /paths/~1a/post/requestBody/content/application~1json/examples/published/value: the example does not conform to its schema (request body of area_post)"),
        "{err}"
    );
    assert!(err.contains("/itemId"), "{err}");
    let err = error_of(&with(
        r#"{"code": 200, "data": {"x": "y"}}"#,
        r#"{"code": "200", "data": {"x": "y"}}"#,
    ));
    assert!(err.contains("(response envelope of area_post)"), "{err}");
}

#[test]
fn a_deviation_is_kept_only_while_the_example_really_fails() {
    let marked = |value: &str| {
        with(
            "                value: {\"itemId\": \"1\", \"price\": \"2.5\"}\n",
            &format!(
                "                x-example-deviation: the vendor sends itemId as a number although its table says string\n                value: {value}\n"
            ),
        )
    };
    let spec = parse(
        &marked(r#"{"itemId": 1, "price": "2.5"}"#),
        Path::new("specs/demo.yaml"),
    )
    .unwrap();
    assert_eq!(spec.example_counts.deviations, 1);
    let err = error_of(&marked(r#"{"itemId": "1", "price": "2.5"}"#));
    assert!(
        err.contains("examples/published/x-example-deviation: deviation no longer needed"),
        "{err}"
    );
}

/// The repository's specs: every example conforms or carries a deviation that really fails. Prints the
/// counts the issue's closing note asks for.
#[test]
fn the_repository_specs_examples_are_all_checked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let specs = sourcing_codegen::load_all(&root).unwrap();
    let mut total = (0, 0);
    for spec in &specs {
        let c = spec.example_counts;
        let examples: usize = spec.operations.iter().map(|o| o.examples.len()).sum();
        assert_eq!(
            c.conforming + c.deviations,
            examples,
            "{}",
            spec.file.display()
        );
        eprintln!(
            "{}: {} examples conform, {} kept as checked deviations",
            spec.file.display(),
            c.conforming,
            c.deviations
        );
        total = (total.0 + c.conforming, total.1 + c.deviations);
    }
    eprintln!("total: {} conform, {} deviations", total.0, total.1);
    assert!(total.0 > 50, "{total:?}");
}

/// `VALID` with error answers: a `default` response whose envelope is `Failure`, listed beside the success
/// envelope in the 200 (`anyOf`), as the vendors answer business failures with HTTP 200 too.
fn with_failures() -> String {
    let errors = concat!(
        "components:\n  responses:\n    Error:\n      description: error answers\n      content:\n",
        "        application/json:\n          schema: {$ref: \"#/components/schemas/Failure\"}\n",
    );
    let failure = concat!(
        "    Failure:\n      allOf:\n        - $ref: \"#/components/schemas/Envelope\"\n",
        "        - type: object\n          required: [code]\n          properties:\n",
        "            code: {not: {enum: [200]}}\n",
        "            data: {type: object, nullable: true, enum: [null]}\n",
    );
    VALID
        .replace(
            "value: {\"code\": 200, \"data\": {\"x\": \"y\"}}\n",
            "value: {\"code\": 200, \"data\": {\"x\": \"y\"}}\n        default: {$ref: \"#/components/responses/Error\"}\n",
        )
        .replace(
            "              schema: {$ref: \"#/components/schemas/AEnvelope\"}\n",
            "              schema: {anyOf: [{$ref: \"#/components/schemas/AEnvelope\"}, {$ref: \"#/components/schemas/Failure\"}]}\n",
        )
        .replace("components:\n", errors)
        + failure
}

#[test]
fn error_answers_are_a_default_response_that_progenitor_never_sees() {
    let spec_text = with_failures();
    let spec = parse(&spec_text, Path::new("specs/demo.yaml")).unwrap();
    let fed = sourcing_codegen::client::for_progenitor(&spec.source);
    let post = &fed["paths"]["/a"]["post"]["responses"];
    assert!(post.get("default").is_none());
    assert_eq!(
        post["200"]["content"]["application/json"]["schema"]["$ref"].as_str(),
        Some("#/components/schemas/AEnvelope"),
        "progenitor sees the success envelope alone"
    );
    let with_errors = sourcing_codegen::generate(&spec).unwrap();
    let without =
        sourcing_codegen::generate(&parse(VALID, Path::new("specs/demo.yaml")).unwrap()).unwrap();
    let client = |files: &[sourcing_codegen::GeneratedFile]| {
        files
            .iter()
            .find(|f| f.path.ends_with("src/client.rs"))
            .unwrap()
            .contents
            .clone()
    };
    assert_eq!(client(&with_errors), client(&without));

    let inline = spec_text.replace(
        "        default: {$ref: \"#/components/responses/Error\"}\n",
        "        default: {description: oops}\n",
    );
    let err = error_of(&inline);
    assert!(
        err.contains(
            "/paths/~1a/post/responses/default: `default` (the error answers) must be a $ref"
        ),
        "{err}"
    );
}

#[test]
fn the_200_response_lists_the_failure_envelope_beside_the_success_one() {
    let spec = parse(&with_failures(), Path::new("specs/demo.yaml")).unwrap();
    let op = &spec.operations[0];
    assert_eq!(op.response_failure.as_deref(), Some("Failure"));
    let schema = &op.response_json_schema;
    assert_eq!(schema["anyOf"][1]["$ref"], "#/$defs/Failure", "{schema}");
    let validator = jsonschema::draft202012::new(schema).unwrap();
    let failure = serde_json::json!({"code": 404, "data": null});
    assert!(validator.is_valid(&failure));
    assert!(validator.is_valid(&serde_json::json!({"code": 200, "data": {"x": "y"}})));
    // A "success" code never makes a failure: `data` must then be the success data.
    assert!(!validator.is_valid(&serde_json::json!({"code": 200, "data": null})));

    let forgotten = with_failures().replace(
        "{anyOf: [{$ref: \"#/components/schemas/AEnvelope\"}, {$ref: \"#/components/schemas/Failure\"}]}",
        "{$ref: \"#/components/schemas/AEnvelope\"}",
    );
    let err = error_of(&forgotten);
    assert!(
        err.contains("/paths/~1a/post/responses/200/content/application~1json/schema: the vendors answer failures with HTTP 200 too"),
        "{err}"
    );
}

#[test]
fn a_nullable_ref_is_written_any_of_json_null_and_typed_as_option() {
    let text = with(
        "    A:\n      type: object\n      properties:\n        x: {type: string}\n",
        "    A:\n      type: object\n      properties:\n        x: {type: string}\n        y:\n          description: a nullable line\n          anyOf: [{$ref: \"#/components/schemas/Line\"}, {$ref: \"#/components/schemas/JsonNull\"}]\n    JsonNull: {type: string, nullable: true, enum: [null]}\n",
    );
    let spec = parse(&text, Path::new("specs/demo.yaml")).unwrap();
    let client = sourcing_codegen::generate(&spec)
        .unwrap()
        .into_iter()
        .find(|f| f.path.ends_with("src/client.rs"))
        .unwrap()
        .contents;
    assert!(
        client.contains("pub y: ::std::option::Option<Line>"),
        "{client}"
    );
    assert!(!client.contains("JsonNull"));
}

#[test]
fn extension_misuse_and_non_string_keys_name_the_pointer() {
    let err = error_of(&with(
        "        x: {type: string}\n",
        "        x: {type: integer, x-json-string: true}\n",
    ));
    assert!(
        err.contains("x-json-string applies to `type: string` only"),
        "{err}"
    );
    let err = error_of(&with(
        "        itemId: {type: string,",
        "        itemId: {type: string, x-json-string: yes please,",
    ));
    assert!(err.contains("x-json-string must be true or false"), "{err}");
    let err = error_of(&with(
        "    AccessKeyV1: {type: apiKey, in: header, name: access-key}",
        "    AccessKeyV1: {type: apiKey, in: header, name: access-key, x-signer-params: [sign], x-body-credentials: {appKey: {type: string}}}",
    ));
    assert!(
        err.contains("/components/securitySchemes/AccessKeyV1/x-body-credentials: appKey is not one of the scheme's x-signer-params"),
        "{err}"
    );
    let err = error_of(&with("    A:\n", "    Null: {type: string}\n    A:\n"));
    assert!(
        err.contains("at /components/schemas: the key null is not a string"),
        "{err}"
    );
}

#[test]
fn body_credentials_are_allowed_and_typed_in_request_examples() {
    let creds = "    AccessKeyV1: {type: apiKey, in: header, name: access-key, x-signer-params: [appKey], x-body-credentials: {appKey: {type: string}}}";
    let base = with(
        "    AccessKeyV1: {type: apiKey, in: header, name: access-key}",
        creds,
    );
    let ok = base.replace(
        r#"{"itemId": "1", "price": "2.5"}"#,
        r#"{"itemId": "1", "price": "2.5", "appKey": "k"}"#,
    );
    parse(&ok, Path::new("specs/demo.yaml")).unwrap();
    let err = error_of(&base.replace(
        r#"{"itemId": "1", "price": "2.5"}"#,
        r#"{"itemId": "1", "price": "2.5", "appKey": 7}"#,
    ));
    assert!(err.contains("/appKey"), "{err}");
}

/// The specs cite the vendor notes and the catalogue by their place in this repository; every such path
/// exists (an earlier layout's `provider-docs/…` and `CATALOGUE.md` once survived in spec notes).
#[test]
fn every_repository_path_the_specs_cite_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cited = 0;
    for entry in std::fs::read_dir(root.join("specs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for stale in ["provider-docs/", "CATALOGUE.md"] {
            assert!(!text.contains(stale), "{}: cites {stale}", path.display());
        }
        for (at, _) in text.match_indices("vendor-docs/") {
            let tail = &text[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
                .unwrap_or(tail.len());
            let cited_path = tail[..end].trim_end_matches(['.', '/']);
            assert!(
                root.join(cited_path).exists(),
                "{}: cites {cited_path}, which does not exist",
                path.display()
            );
            cited += 1;
        }
    }
    assert!(cited > 0, "the specs cite vendor-docs paths");
}
