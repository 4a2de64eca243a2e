//! Errors of the parsers and of the Dajisaas signature check.
//!
//! Every variant names what was wrong. None of them ever carries the app secret or a signature value.

/// A callback body that does not have the documented shape. The receiver answers it with
/// `400 Bad Request` and this message as the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The request body is not JSON at all (PandaPon / Xportcn pushes are JSON objects).
    #[error("request body is not valid JSON: {0}")]
    NotJson(String),
    /// The request body is JSON but not an object.
    #[error("request body must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// A documented field is absent.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A documented field has the wrong JSON type.
    #[error("field `{field}` must be {expected}, found {found}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// The JSON type it must have.
        expected: &'static str,
        /// The JSON type it has (never its value).
        found: String,
    },
    /// `messageBody` (documented as a JSON document inside a string) does not contain JSON.
    #[error("`messageBody` of a {message_type} message is not valid JSON: {reason}")]
    BodyNotJson {
        /// The message type whose body it is.
        message_type: String,
        /// The JSON parser's reason.
        reason: String,
    },
    /// The message body of a documented message type does not match its documented fields.
    #[error("body of a {message_type} message does not match the documented fields: {reason}")]
    InvalidBody {
        /// The message type whose body it is.
        message_type: String,
        /// The first field that does not fit, and why.
        reason: String,
    },
    /// The request body is not valid `application/x-www-form-urlencoded` data (Dajisaas).
    #[error("request body is not a valid form (application/x-www-form-urlencoded): {0}")]
    InvalidForm(String),
    /// A documented form field is absent (Dajisaas).
    #[error("missing form field `{0}`")]
    MissingFormField(&'static str),
    /// A form field that must appear once appears several times (Dajisaas).
    #[error("form field `{0}` appears more than once")]
    DuplicateFormField(&'static str),
}

/// Why a callback's signature was refused (Dajisaas' `_dj_signature`, or the signature field of any format
/// that has one). The receiver answers `401 Unauthorized`.
///
/// The variants deliberately carry no values: neither the received signature nor the expected one nor the key;
/// only the name of the field that carries the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature field is absent (or empty).
    #[error("missing signature field `{field}`")]
    Missing {
        /// The field that should carry the signature.
        field: &'static str,
    },
    /// The field is not a signature in an accepted encoding (Dajisaas: 40 hex digits or base64 of 20 bytes).
    #[error("`{field}` is not {expected}")]
    Malformed {
        /// The field that carries the signature.
        field: &'static str,
        /// What an accepted value looks like.
        expected: &'static str,
    },
    /// The signature is well-formed but does not match the message.
    #[error("`{field}` does not match the message")]
    Mismatch {
        /// The field that carries the signature.
        field: &'static str,
    },
}

/// A callback that was refused: bad body (→ `400`) or bad signature (→ `401`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    #[error(transparent)]
    /// The body does not have the format's shape (`400`).
    Parse(#[from] ParseError),
    #[error(transparent)]
    /// The signature is missing or wrong (`401`).
    Signature(#[from] SignatureError),
}

/// Short name of a JSON value's type, for error messages (never the value itself).
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
