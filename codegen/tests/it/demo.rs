//! The small demo provider the codegen tests start from: one read, `GET /a` (`area_get`), whose envelope's
//! `data` is `a_data`, plus whatever paths and schemas a test adds. Tests change it by replacing text.

/// The demo spec's first lines, up to `paths:` (a literal, so `concat!` can build constant specs on it).
macro_rules! demo_head {
    () => {
        r##"
openapi: 3.0.3
info: {title: T, version: "1"}
servers: [{url: "https://example.test"}]
x-sourcing: {crate: demo, title: Demo, envelope: pandapon, credentials: access-key, env-prefix: DEMO}
security: [{AccessKeyV1: []}]
paths:
"##
    };
}
pub(crate) use demo_head;

const TEMPLATE: &str = concat!(
    demo_head!(),
    r##"  /a:
    get:
      operationId: area_get
      x-effect: read
      x-catalogue-id: demo.a
      tags: [area]
      summary: Get a
      externalDocs: {url: "https://example.test/a"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/AEnvelope"}
@MORE_PATHS@components:
  securitySchemes:
    AccessKeyV1: {type: apiKey, in: header, name: access-key}
  schemas:
    Envelope:
      type: object
      properties: {code: {type: integer}}
    AEnvelope:
      allOf:
        - $ref: "#/components/schemas/Envelope"
        - type: object
          properties:
            data: @A_DATA@
@MORE_SCHEMAS@"##
);

/// The demo spec: `a_data` is the schema of `GET /a`'s `data`; `more_paths` (under `paths:`, indented by
/// two) and `more_schemas` (under `components.schemas`, indented by four) are added as they are.
pub fn spec(a_data: &str, more_paths: &str, more_schemas: &str) -> String {
    TEMPLATE
        .replace("@A_DATA@", a_data)
        .replace("@MORE_PATHS@", more_paths)
        .replace("@MORE_SCHEMAS@", more_schemas)
}
