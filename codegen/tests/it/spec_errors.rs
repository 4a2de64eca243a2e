//! Bad specs fail with a clear error naming the location and reason — never a panic.

use sourcing_codegen::spec::parse;
use std::path::Path;
use std::sync::LazyLock;

static VALID: LazyLock<String> = LazyLock::new(|| {
    crate::demo::spec(
        "{$ref: \"#/components/schemas/A\"}",
        "",
        "    A:\n      type: object\n      properties: {x: {type: string}}\n",
    )
});

/// The error of loading and generating `spec` (names without an implementation are refused when the
/// crate is generated).
fn error_of(spec: &str) -> String {
    let r = std::panic::catch_unwind(|| {
        let loaded = parse(spec, Path::new("specs/demo.yaml"))?;
        sourcing_codegen::generate(&loaded).map(|_| ())
    });
    match r.expect("parse must not panic") {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_spec_generates() {
    let spec = parse(&VALID, Path::new("specs/demo.yaml")).unwrap();
    let files = sourcing_codegen::generate(&spec).unwrap();
    assert!(files.iter().any(|f| f.path.ends_with("src/client.rs")));
    assert!(files.iter().all(|f| f.contents.contains("@generated")));
    // The templates are provider-neutral: remarks about one provider come from its spec.
    for f in &files {
        for remark in ["PandaPon", "Dajisaas", "Xportcn", "nonce-str"] {
            assert!(
                !f.contents.contains(remark),
                "{} mentions {remark}",
                f.path.display()
            );
        }
    }
    let table = files
        .iter()
        .find(|f| f.path.ends_with("src/operations.rs"))
        .unwrap();
    assert!(
        table.contents.contains("effect: Effect::Read,"),
        "the declared effect reaches the operation table"
    );
}

#[test]
fn each_broken_spec_names_where_and_why() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "      operationId: area_get\n",
            "",
            "/paths/~1a/get/operationId: missing operationId",
        ),
        (
            "operationId: area_get",
            "operationId: AreaGet",
            "must be snake_case",
        ),
        (
            "openapi: 3.0.3",
            "openapi: 3.1.0",
            "/openapi: version 3.1.0 is not 3.0.x",
        ),
        (
            "      x-effect: read\n",
            "      x-effect: read\n      x-idempotent: 1\n",
            "/paths/~1a/get/x-idempotent: x-idempotent must be true or false",
        ),
        (
            "      tags: [area]\n",
            "",
            "/paths/~1a/get/tags: exactly one tag",
        ),
        (
            "envelope: pandapon",
            "envelope: soap",
            "/x-sourcing: x-sourcing.envelope \"soap\"",
        ),
        (
            "security: [{AccessKeyV1: []}]",
            "security: [{Basic: []}]",
            "/paths/~1a/get/security",
        ),
        (
            "#/components/schemas/AEnvelope",
            "#/components/schemas/A",
            "A is not an envelope",
        ),
        (
            "      responses:\n",
            "      parameters: [{name: x-sig, in: header, schema: {type: string}}]\n      responses:\n",
            "/paths/~1a/get/parameters/0: header parameters are not allowed",
        ),
        (
            "      responses:\n",
            "      requestBody: {content: {multipart/form-data: {schema: {type: object}}}}\n      responses:\n",
            "multipart endpoints are hand-written",
        ),
        (
            "              schema: {$ref: \"#/components/schemas/AEnvelope\"}\n",
            "              schema: {$ref: \"#/components/schemas/AEnvelope\"}\n        \"400\": {description: bad}\n",
            "exactly one response",
        ),
        ("paths:", "paths: 7\nx:", "not an OpenAPI 3.0 document"),
        (
            "      x-effect: read\n",
            "      x-effect: read\n      x-efect: write\n",
            "/paths/~1a/get/x-efect: unknown extension x-efect (did you mean x-effect?)",
        ),
        (
            "    AccessKeyV1: {type: apiKey, in: header, name: access-key}",
            "    AccessKeyV1: {type: apiKey, in: header, name: access-key, x-signed-params: [sign]}",
            "unknown extension x-signed-params (did you mean x-signer-params?)",
        ),
        (
            "info: {title: T, version: \"1\"}",
            "info: {title: T, version: \"1\"",
            "at line",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(VALID.contains(from), "case {from:?} does not apply");
        let err = error_of(&VALID.replacen(from, to, 1));
        assert!(err.starts_with("specs/demo.yaml"), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
}

/// `VALID` with a batch operation: `data` lists ids that succeeded and items that failed.
fn batch_spec(outcome: &str) -> String {
    VALID
        .replace(
            "      x-catalogue-id: demo.a\n",
            &format!("      x-catalogue-id: demo.a\n      x-batch-outcome: {outcome}\n"),
        )
        .replace(
            "      properties: {x: {type: string}}\n",
            "      properties:\n        ok: {type: array, items: {type: string}}\n        ko: {type: array, items: {$ref: \"#/components/schemas/Ko\"}}\n    Ko:\n      type: object\n      properties: {oid: {type: string}, why: {type: string}}\n",
        )
}

#[test]
fn batch_outcome_is_parsed_into_the_operation_table() {
    let spec = parse(
        &batch_spec("{succeeded: ok, failed: ko, id: oid, reason: why}"),
        Path::new("specs/demo.yaml"),
    )
    .unwrap();
    let b = spec.operations[0].batch_outcome.clone().unwrap();
    assert_eq!(
        (
            b.succeeded.as_str(),
            b.failed.as_str(),
            b.id.as_str(),
            b.reason.as_str()
        ),
        ("ok", "ko", "oid", "why")
    );
    let files = sourcing_codegen::generate(&spec).unwrap();
    let ops = files
        .iter()
        .find(|f| f.path.ends_with("src/operations.rs"))
        .unwrap();
    assert!(
        ops.contents.contains("succeeded: \"ok\"") && ops.contents.contains("reason: \"why\""),
        "{}",
        ops.contents
    );
}

#[test]
fn batch_outcome_must_name_existing_fields() {
    let at = "/paths/~1a/get/x-batch-outcome";
    let cases = [
        (
            "{succeeded: ok, failed: ko, id: oid}",
            "",
            "`reason` is missing",
        ),
        (
            "{succeeded: done, failed: ko, id: oid, reason: why}",
            "/succeeded",
            "A has no property \"done\"",
        ),
        (
            "{succeeded: ok, failed: ko, id: orderId, reason: why}",
            "/id",
            "the items of A.ko have no property \"orderId\"",
        ),
        (
            "{succeeded: ok, failed: ok, id: oid, reason: why}",
            "/id",
            "the items of A.ok have no property \"oid\"",
        ),
    ];
    for (outcome, suffix, expected) in cases {
        let err = error_of(&batch_spec(outcome));
        assert!(err.contains(&format!("{at}{suffix}: ")), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
    // `data` must be an object component with array properties.
    let err = error_of(
        &batch_spec("{succeeded: ok, failed: ko, id: oid, reason: why}").replace(
            "        ok: {type: array, items: {type: string}}",
            "        ok: {type: string}",
        ),
    );
    assert!(err.contains("A.ok must be an array"), "{err}");
    let err = error_of(
        &batch_spec("{succeeded: ok, failed: ko, id: oid, reason: why}").replace(
            "data: {$ref: \"#/components/schemas/A\"}",
            "data: {type: object}",
        ),
    );
    assert!(
        err.contains("needs AEnvelope's `data` to be a $ref to an object component"),
        "{err}"
    );
}

/// Documented limits (`x-max-items` + `x-separator`, integer `maximum`) reach the operation table; misuse,
/// signer-owned parameter names and clashing hand-written ids are named errors.
#[test]
fn limits_signer_params_and_hand_written_ids() {
    use sourcing_codegen::spec::LimitModel;
    let params = "      parameters:\n        - {name: ids, in: query, required: true, schema: {type: string, x-max-items: 30, x-separator: \",\"}}\n        - {name: size, in: query, schema: {type: integer, format: int32, maximum: 50}}\n      responses:\n";
    let with_limits = VALID.replacen("      responses:\n", params, 1);
    let spec = parse(&with_limits, Path::new("specs/demo.yaml")).unwrap();
    let limits: Vec<_> = spec.operations[0]
        .params
        .iter()
        .map(|p| p.limit.clone())
        .collect();
    assert_eq!(
        limits,
        [
            Some(LimitModel::MaxItems {
                max: 30,
                separator: Some(",".into())
            }),
            Some(LimitModel::Maximum(50)),
        ]
    );
    let operations = sourcing_codegen::templates::operations(&spec).to_string();
    assert!(
        operations.contains("Limit :: Maximum (50i64)"),
        "{operations}"
    );

    let cases: &[(&str, &str, &str)] = &[
        (
            "x-max-items: 30, x-separator: \",\"",
            "x-separator: \",\"",
            "/paths/~1a/get/parameters/0/schema: x-separator needs x-max-items",
        ),
        (
            "type: string, x-max-items: 30, x-separator: \",\"",
            "type: string, x-max-items: 30",
            "x-max-items applies to arrays, or to strings with x-separator",
        ),
        ("x-max-items: 30", "x-max-items: 0", "positive integer"),
        (
            "type: integer, format: int32, maximum: 50",
            "type: number, maximum: 50",
            "maximum is only enforced on integers",
        ),
        (
            "AccessKeyV1: {type: apiKey, in: header, name: access-key}",
            "AccessKeyV1: {type: apiKey, in: header, name: access-key, x-signer-params: [size]}",
            "size is added by the AccessKeyV1 signer",
        ),
        (
            "paths:",
            "x-hand-written: [{id: area_get, method: POST, path: /u, catalogue-id: c, rust-fn: f}]\npaths:",
            "/x-hand-written/0/id: area_get is also an operationId",
        ),
        (
            "paths:",
            "x-hand-written: [{id: Upload, method: POST, path: /u, catalogue-id: c, rust-fn: f}]\npaths:",
            "must be snake_case",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(with_limits.contains(from), "case {from:?} does not apply");
        let err = error_of(&with_limits.replacen(from, to, 1));
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
}

/// Envelope, credential and security-scheme names are the runtime's (`EnvelopeStyle::ALL`, …) or come with
/// their implementation (`x-rust`, `x-sourcing.rust`); flow roles are the runtime's. The error lists the
/// valid names.
#[test]
fn names_are_checked_against_the_runtimes_lists() {
    use sourcing_codegen::spec::names;
    use sourcing_runtime::{AuthStyle, CredentialStyle, EnvelopeStyle, FlowRole};
    let with_scheme = VALID
        .replace("[{AccessKeyV1: []}]", "[{Basic: []}]")
        .replace("AccessKeyV1: {type: apiKey", "Basic: {type: apiKey");
    let cases = [
        (
            VALID.replace("envelope: pandapon", "envelope: soap"),
            names(EnvelopeStyle::ALL, EnvelopeStyle::name),
        ),
        (
            VALID.replace("credentials: access-key", "credentials: oauth"),
            names(CredentialStyle::ALL, CredentialStyle::name),
        ),
        (with_scheme, names(AuthStyle::ALL, AuthStyle::scheme_name)),
        (
            VALID.replace(
                "      x-effect: read\n",
                "      x-effect: read\n      x-flow-role: refund\n",
            ),
            names(FlowRole::ALL, FlowRole::name),
        ),
    ];
    for (spec, valid) in cases {
        let err = error_of(&spec);
        assert!(err.contains(&valid), "expected {valid:?} in: {err}");
    }
    assert_eq!(
        names(FlowRole::ALL, FlowRole::name),
        "pay-one, pay-batch, create, detail, cancel, receive"
    );

    // A valid role reaches the operation table.
    let spec = VALID.replace(
        "      x-effect: read\n",
        "      x-effect: read\n      x-flow-role: detail\n",
    );
    let model = parse(&spec, Path::new("specs/demo.yaml")).unwrap();
    assert_eq!(model.operations[0].flow_role, Some(FlowRole::Detail));
}

/// A built-in scheme's `x-signer-params` repeat the scheme's own list (`Scheme::params`), never another.
#[test]
fn signer_params_are_the_schemes_own_list() {
    let spec = VALID.replace(
        "AccessKeyV1: {type: apiKey, in: header, name: access-key}",
        "AccessKeyV1: {type: apiKey, in: header, name: access-key, x-signer-params: [sign]}",
    );
    let err = error_of(&spec);
    assert!(
        err.contains("x-signer-params") && err.contains("AccessKeyV1 scheme adds []"),
        "{err}"
    );
}

/// `x-effect` is required and one of the runtime's list; the error names the operation, where it is and the
/// valid values. A declared effect reaches the model; `x-idempotent` defaults to "only reads" and may not
/// contradict a read.
#[test]
fn x_effect_is_required_and_named() {
    use sourcing_codegen::spec::names;
    use sourcing_runtime::Effect;
    let missing = error_of(&VALID.replace("      x-effect: read\n", ""));
    assert!(
        missing.contains(
            "/paths/~1a/get/x-effect: operation area_get needs x-effect, one of read, write, pay"
        ),
        "{missing}"
    );
    let unknown = error_of(&VALID.replace("x-effect: read", "x-effect: delete"));
    assert!(
        unknown.contains("/paths/~1a/get/x-effect: operation area_get: x-effect \"delete\" is not one of read, write, pay"),
        "{unknown}"
    );
    assert!(
        unknown.contains("pay: moves money or returns a payment link"),
        "{unknown}"
    );
    let not_text = error_of(&VALID.replace("x-effect: read", "x-effect: [read]"));
    assert!(
        not_text.contains("x-effect [\"read\"] is not one of"),
        "{not_text}"
    );
    assert_eq!(names(Effect::ALL, Effect::name), "read, write, pay");

    let contradiction = error_of(&VALID.replace(
        "      x-effect: read\n",
        "      x-effect: read\n      x-idempotent: false\n",
    ));
    assert!(
        contradiction.contains(
            "/paths/~1a/get/x-idempotent: x-idempotent: false contradicts x-effect: read"
        ),
        "{contradiction}"
    );

    for (effect, idempotent, expected) in [
        ("read", "", (Effect::Read, true)),
        ("write", "", (Effect::Write, false)),
        ("pay", "", (Effect::Pay, false)),
        ("pay", "      x-idempotent: true\n", (Effect::Pay, true)),
    ] {
        let spec = VALID.replace(
            "      x-effect: read\n",
            &format!("      x-effect: {effect}\n{idempotent}"),
        );
        let model = parse(&spec, Path::new("specs/demo.yaml")).unwrap();
        let op = &model.operations[0];
        assert_eq!(
            (op.effect, op.idempotent),
            expected,
            "{effect} {idempotent:?}"
        );
    }
}

/// The envelope's payload member: a built-in envelope's is its codec's (`data`), which a spec may not rename;
/// an envelope the spec implements names its own (`x-sourcing.rust.payload`).
#[test]
fn the_payload_member_is_the_codecs() {
    let renamed = error_of(&VALID.replace(
        "env-prefix: DEMO}",
        "env-prefix: DEMO, rust: {payload: result}}",
    ));
    assert!(
        renamed.contains("/x-sourcing: x-sourcing.rust.payload: the built-in pandapon envelope names its own payload member (data)"),
        "{renamed}"
    );
    let model = parse(&VALID, Path::new("specs/demo.yaml")).unwrap();
    assert_eq!(model.meta.payload, "data");
}
