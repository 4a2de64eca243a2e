//! One toolset per provider: every operation as a tool of its own, named `<provider>_<operation_id>`
//! (`pandapon_order_detail`), described by the operation's summary and route, with the operation's input
//! JSON Schema from the operation table ([`Operation::input_schema`]). A call validates the arguments against
//! that schema (an invalid one is a tool error naming the field), splits them into query parameters and body
//! fields, and calls through the runtime's untyped path — the one the CLI uses, so the documented limits are
//! checked before signing and only idempotent operations are retried. The result is the envelope's `data`;
//! business errors, refusals and partial batch failures are tool errors naming the code, message and
//! request id.

use super::guard::Guard;
use crate::backend::Backend;
use rmcp::model::{CallToolResult, ContentBlock, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};
use sourcing_runtime::{Error, Operation, ParamLocation, Provider};
use std::sync::Arc;

/// How a tool's description marks an operation known only from third-party clients (the CLI's help
/// marks them the same way).
const UNCONFIRMED_MARK: &str = "[unconfirmed]";

/// The tool name of an operation: `<provider>_<operation_id>`.
pub fn tool_name(provider: &Provider, op: &Operation) -> String {
    format!("{}_{}", provider.name, op.id)
}

/// One operation as a tool.
pub struct OperationTool {
    pub op: &'static Operation,
    pub guard: Guard,
    pub tool: Tool,
    validator: jsonschema::Validator,
    /// Index into the server's endpoints.
    pub backend: usize,
}

/// The tools of every operation of every backend's provider.
pub fn build(endpoints: &[Backend], live: bool) -> Result<Vec<OperationTool>, String> {
    let mut out = Vec::new();
    for (i, backend) in endpoints.iter().enumerate() {
        for &op in backend.provider.operations {
            let mut schema = op
                .input_schema_json()
                .map_err(|e| format!("{}: input schema is not JSON: {e}", op.id))?;
            // The vendors ignore undocumented fields, so the operation table accepts them; a tool
            // refuses argument names it does not document (a misspelt one would be dropped silently),
            // except where the spec opens the body for unpublished fields (`additionalProperties: {}`).
            if schema["additionalProperties"] == Value::Bool(true) {
                schema["additionalProperties"] = Value::Bool(false);
            }
            let validator = jsonschema::validator_for(&schema)
                .map_err(|e| format!("{}: invalid input schema: {e}", op.id))?;
            let Value::Object(schema) = schema else {
                return Err(format!("{}: the input schema is not an object", op.id));
            };
            let guard = Guard::of(op);
            let name = tool_name(backend.provider, op);
            out.push(OperationTool {
                op,
                guard,
                tool: tool(&name, backend.provider, op, guard, schema, live),
                validator,
                backend: i,
            });
        }
    }
    Ok(out)
}

impl OperationTool {
    /// Validates the arguments and calls the operation (the guard was checked by the caller).
    pub async fn call(
        &self,
        name: &str,
        backend: &Backend,
        arguments: Map<String, Value>,
    ) -> CallToolResult {
        if let Err(refused) = validate(name, &self.validator, &Value::Object(arguments.clone())) {
            return refused;
        }
        let (query, body) = match split_arguments(self.op, &arguments) {
            Ok(split) => split,
            Err(message) => {
                return CallToolResult::structured_error(json!({
                    "error": "invalid_arguments",
                    "message": format!("{name}: {message}"),
                    "code": null,
                    "requestId": null,
                }));
            }
        };
        let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let result = backend.call(self.op, &query_refs, body.as_ref()).await;
        if self.guard == Guard::Payment {
            payment_result(self.op, &arguments, result)
        } else {
            match result {
                Ok(data) => success(data),
                Err(e) => CallToolResult::structured_error(error_json(&e)),
            }
        }
    }
}

/// Checks `arguments` against a tool's input schema: a tool error naming every wrong field, or `Ok`.
pub fn validate(
    name: &str,
    validator: &jsonschema::Validator,
    arguments: &Value,
) -> Result<(), CallToolResult> {
    let problems: Vec<Value> = validator
        .iter_errors(arguments)
        .map(|e| {
            let path = e.instance_path().to_string();
            json!({
                "field": field_of(&path, &e.to_string()),
                "message": message_of(&e),
            })
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    let summary = problems
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p["field"].as_str().unwrap_or(""),
                p["message"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(CallToolResult::structured_error(json!({
        "error": "invalid_arguments",
        "message": format!("{name}: invalid arguments (nothing was sent): {summary}"),
        "fields": problems,
        "code": null,
        "requestId": null,
    })))
}

/// A validation error's text; for a value outside a list, every allowed value (the validator's own text
/// names two and counts the rest, which leaves an agent guessing).
fn message_of(e: &jsonschema::ValidationError<'_>) -> String {
    match e.kind() {
        jsonschema::error::ValidationErrorKind::Enum { options } => match options.as_array() {
            Some(allowed) => format!(
                "{} is not one of {}",
                e.instance(),
                allowed
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => e.to_string(),
        },
        _ => e.to_string(),
    }
}

/// The field a validation error is about: the instance path (`/orderId` → `orderId`), or for an error at
/// the root (a missing required property, an unexpected one) the property the message quotes.
fn field_of(path: &str, message: &str) -> String {
    let path = path.trim_start_matches('/');
    if !path.is_empty() {
        return path.replace('/', ".");
    }
    message
        .split(['"', '\''])
        .nth(1)
        .unwrap_or("(arguments)")
        .to_string()
}

type Split = (Vec<(&'static str, String)>, Option<Value>);

/// Validated arguments (named as in [`Operation::input_schema`]: a body field named like a query parameter
/// is `body_<name>`) → query pairs and the JSON body (an empty object when the operation has a body and
/// no body argument was given, as the CLI does). Properties the schema lets through beyond the documented ones
/// (open bodies) go into the body.
fn split_arguments(
    op: &'static Operation,
    arguments: &Map<String, Value>,
) -> Result<Split, String> {
    let mut query = Vec::new();
    let mut body = Map::new();
    for (key, value) in arguments {
        match op.params.iter().find(|p| op.input_name(p) == key.as_str()) {
            Some(p) if p.location == ParamLocation::Query => match value {
                Value::Null => {}
                Value::String(s) => query.push((p.name, s.clone())),
                other => query.push((p.name, other.to_string())),
            },
            Some(p) => {
                body.insert(p.name.to_string(), value.clone());
            }
            None if op.has_body => {
                body.insert(key.clone(), value.clone());
            }
            None => return Err(format!("unknown argument {key:?}")),
        }
    }
    Ok((query, op.has_body.then_some(Value::Object(body))))
}

/// `data` as the tool's result: structured when it is an object (MCP structured content is an object), and
/// always as JSON text.
fn success(data: Value) -> CallToolResult {
    if data.is_object() {
        CallToolResult::structured(data)
    } else {
        CallToolResult::success(vec![ContentBlock::text(data.to_string())])
    }
}

/// A failed call as JSON naming what the caller needs: kind, code, message, request id.
pub fn error_json(e: &Error) -> Value {
    let mut out = match e.api() {
        Some(api) => json!({
            "error": "business",
            "code": api.code,
            "message": e.to_string(),
            "providerMessage": api.message,
            "requestId": api.request_id,
            "upstream": api.upstream.as_ref().map(|u| json!({"code": u.code, "message": u.message})),
        }),
        None => {
            let kind = match e {
                Error::InvalidRequest { .. } => "refused",
                Error::Signing { .. } => "signing",
                Error::HttpStatus { .. } => "http",
                Error::Decode { .. } => "undecodable",
                Error::ResponseTooLarge { .. } => "too_large",
                _ => "transport",
            };
            json!({"error": kind, "code": null, "message": e.to_string(), "requestId": null})
        }
    };
    if let (Error::HttpStatus { status, .. }, Value::Object(m)) = (e, &mut out) {
        m.insert("httpStatus".into(), (*status).into());
    }
    if matches!(e, Error::InvalidRequest { .. } | Error::Signing { .. })
        && let Value::Object(m) = &mut out
    {
        m.insert("sent".into(), false.into());
    }
    out
}

/// The ids of the orders a payment call is about, from its arguments: every argument whose name speaks of an
/// order id (`orderId`, `orderIds`, `orderIdList`, `purchaseOrderIdList`), as text.
fn requested_orders(arguments: &Map<String, Value>) -> Vec<String> {
    fn ids(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.extend(
                s.trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_string())
                    .filter(|s| !s.is_empty()),
            ),
            Value::Number(n) => out.push(n.to_string()),
            Value::Array(a) => a.iter().for_each(|v| ids(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in arguments {
        let k = k.to_ascii_lowercase();
        if k.contains("order") && k.contains("id") {
            ids(v, &mut out);
        }
    }
    out
}

/// A payment tool's result: always `paid` and `failed` (with reasons), plus `data`. Operations whose answer
/// lists the outcome per order (`x-batch-outcome`) fill them from it; the others (one order, a payment link,
/// an unpublished answer) list the requested orders as `unconfirmed` on success — check them with an
/// order-detail tool before paying again — and as `failed` on a business error.
fn payment_result(
    op: &Operation,
    arguments: &Map<String, Value>,
    result: Result<Value, Error>,
) -> CallToolResult {
    let requested = requested_orders(arguments);
    let failed_item = |id: &str, reason: Option<&str>| json!({"orderId": id, "reason": reason});
    match result {
        Ok(data) => match &op.batch_outcome {
            Some(outcome) => CallToolResult::structured(json!({
                "movesMoney": true,
                "paid": data.get(outcome.succeeded).cloned().unwrap_or_else(|| json!([])),
                "failed": [],
                "data": data,
            })),
            None => CallToolResult::structured(json!({
                "movesMoney": true,
                "paid": [],
                "failed": [],
                "unconfirmed": requested,
                "note": "the provider's answer does not list which orders were paid (a payment link, or an unpublished answer): check each order with an order-detail tool before paying again",
                "data": data,
            })),
        },
        Err(Error::PartialFailure(p)) => CallToolResult::structured_error(json!({
            "movesMoney": true,
            "error": "partial_failure",
            "message": p.to_string(),
            "requestId": p.request_id,
            "paid": p.succeeded,
            "failed": p.failed.iter().map(|f| failed_item(&f.id, f.reason.as_deref())).collect::<Vec<_>>(),
            "conflicting": p.conflicting.iter().map(|f| failed_item(&f.id, f.reason.as_deref())).collect::<Vec<_>>(),
            "data": p.data,
        })),
        Err(e) => {
            let mut out = error_json(&e);
            if let Value::Object(m) = &mut out {
                let reason = e.to_string();
                m.insert("movesMoney".into(), true.into());
                m.insert("paid".into(), json!([]));
                m.insert(
                    "failed".into(),
                    requested
                        .iter()
                        .map(|id| failed_item(id, Some(&reason)))
                        .collect(),
                );
            }
            CallToolResult::structured_error(out)
        }
    }
}

/// The MCP tool of one operation: its name, description (effect, target, evidence), input schema and
/// annotations; any provider's operation, built-in or given at run time.
pub fn tool(
    name: &str,
    provider: &Provider,
    op: &Operation,
    guard: Guard,
    schema: Map<String, Value>,
    live: bool,
) -> Tool {
    let effect = match guard {
        Guard::Read => "Read-only: changes nothing; retried automatically on transient failures.".to_string(),
        Guard::Write => format!(
            "Changes data at {}: sent once, never retried automatically.",
            provider.title
        ),
        Guard::Payment => "MOVES MONEY: pays orders or returns a payment link. Sent once, never retried \
            automatically. The result lists the orders paid and failed (`paid`, `failed`, with reasons; \
            `unconfirmed` where the answer does not say)."
            .to_string(),
    };
    let target = if live {
        format!("Calls the live {} API.", provider.title)
    } else {
        "Calls the embedded sandbox (test data, no account).".to_string()
    };
    let unconfirmed = match op.evidence {
        Some(source) => format!(
            "\n{} Unconfirmed by {}: known only from third-party clients ({source}); it may change or be \
             gone without notice.",
            UNCONFIRMED_MARK, provider.title
        ),
        None => String::new(),
    };
    let description = format!(
        "{}.\n\n{effect}\n{} {} ({}, {}). {target}{unconfirmed}",
        op.summary.trim_end_matches('.'),
        op.method,
        op.path,
        provider.title,
        op.tag
    );
    Tool::new(name.to_string(), description, Arc::new(schema))
        .with_title(op.summary)
        .with_annotations(
            ToolAnnotations::new()
                .read_only(guard == Guard::Read)
                .destructive(guard != Guard::Read)
                .idempotent(op.idempotent)
                .open_world(true),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_field_named_like_a_query_parameter_goes_to_the_body() {
        let op = sourcing_registry::providers()[0]
            .find("refund_info")
            .unwrap();
        let Value::Object(args) = json!({"refundId": "1", "body_refundId": "2"}) else {
            unreachable!()
        };
        let (query, body) = split_arguments(op, &args).unwrap();
        assert_eq!(query, vec![("refundId", "1".to_string())]);
        assert_eq!(body, Some(json!({"refundId": "2"})));
    }

    #[test]
    fn query_values_are_sent_as_text_and_nulls_are_left_out() {
        let op = sourcing_registry::providers()[0]
            .find("order_pay_url")
            .unwrap();
        let Value::Object(args) = json!({"orderId": 2257455039610311973u64}) else {
            unreachable!()
        };
        let (query, body) = split_arguments(op, &args).unwrap();
        assert_eq!(query, vec![("orderId", "2257455039610311973".to_string())]);
        assert_eq!(body, None);
        let Value::Object(args) = json!({"orderId": null}) else {
            unreachable!()
        };
        assert!(split_arguments(op, &args).unwrap().0.is_empty());
    }
}
