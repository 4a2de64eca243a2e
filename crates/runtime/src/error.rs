//! The one error type of every generated client.

use crate::batch::PartialFailure;
use crate::signing::SignError;
use std::fmt;

/// At most this many bytes of an undecodable or unexpected body are kept in an error.
pub const BODY_PREFIX_LIMIT: usize = 4096;

/// A bounded prefix of a response body, kept for diagnosis.
#[derive(Clone, PartialEq, Eq)]
pub struct BodyPrefix {
    /// The first bytes of the body (at most [`BODY_PREFIX_LIMIT`]).
    pub bytes: Vec<u8>,
    /// The full body length, when known.
    pub total_len: usize,
}

impl BodyPrefix {
    /// The prefix of `body`.
    pub fn new(body: &[u8]) -> Self {
        Self {
            bytes: body[..body.len().min(BODY_PREFIX_LIMIT)].to_vec(),
            total_len: body.len(),
        }
    }

    /// Whether bytes were dropped.
    pub fn is_truncated(&self) -> bool {
        self.total_len > self.bytes.len()
    }

    /// The prefix as text (invalid UTF-8 replaced).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

impl fmt::Debug for BodyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_text())?;
        if self.is_truncated() {
            write!(f, " ({} of {} bytes)", self.bytes.len(), self.total_len)?;
        }
        Ok(())
    }
}

impl fmt::Display for BodyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 200;
        let text = self.as_text();
        let mut end = text.len().min(SHOWN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        f.write_str(&text[..end])?;
        if end < text.len() || self.is_truncated() {
            write!(f, "… ({} bytes)", self.total_len)?;
        }
        Ok(())
    }
}

/// The provider answered with its envelope and a code other than success.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The operation (`snake_case` id).
    pub operation: &'static str,
    /// The envelope's `code` (PandaPon/Xportcn success is 200; Dajisaas success is 200).
    pub code: i64,
    /// `msg` (PandaPon/Xportcn) or `message` (Dajisaas).
    pub message: Option<String>,
    /// `requestId` (PandaPon/Xportcn) or `traceId` (Dajisaas): quote it to the vendor's support.
    pub request_id: Option<String>,
    /// Upstream detail carried in `data` on failure, e.g. Dajisaas 1009 wraps the 1688 `errorCode`/`errorInfo`.
    pub upstream: Option<UpstreamError>,
    /// The envelope's `data` on failure, untyped.
    pub data: Option<serde_json::Value>,
}

/// An error of the platform behind the provider (1688, Taobao), as wrapped in the provider's `data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamError {
    /// The upstream error code.
    pub code: Option<String>,
    /// The upstream error message.
    pub message: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with code {}", self.operation, self.code)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(u) = &self.upstream {
            write!(
                f,
                " (upstream {}: {})",
                u.code.as_deref().unwrap_or("?"),
                u.message.as_deref().unwrap_or("?")
            )?;
        }
        if let Some(r) = &self.request_id {
            write!(f, " [request {r}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Everything a call can fail with. Every variant names the operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built (missing required field, invalid header value, a documented limit
    /// exceeded). Nothing was sent.
    #[error("{operation}: invalid request: {message}")]
    InvalidRequest {
        /// The operation (`snake_case` id).
        operation: &'static str,
        /// What was wrong.
        message: String,
    },
    /// The signer refused or failed. Nothing was sent. `source` is the signer's own [`SignError`].
    #[error("{operation}: signing failed: {source}")]
    Signing {
        /// The operation (`snake_case` id).
        operation: &'static str,
        #[source]
        /// The signer's refusal.
        source: SignError,
    },
    /// Connecting, sending or reading failed (includes timeouts). The message names the cause (reqwest's
    /// own says only "error sending request").
    #[error("{operation}: transport error: {}", Causes(source))]
    Transport {
        /// The operation (`snake_case` id).
        operation: &'static str,
        #[source]
        /// The transport error (URL secrets masked).
        source: reqwest::Error,
    },
    /// The HTTP status was not 200. `api` holds the envelope when the body was one.
    #[error("{operation}: HTTP {status}: {body}")]
    HttpStatus {
        /// The operation (`snake_case` id).
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// A prefix of the body.
        body: BodyPrefix,
        /// The envelope's business error, if the body was an envelope.
        api: Option<Box<ApiError>>,
    },
    /// HTTP 200 with a body that is not the documented envelope/type. The body prefix is kept.
    #[error("{operation}: undecodable response body ({source}): {body}")]
    Decode {
        /// The operation (`snake_case` id).
        operation: &'static str,
        /// A prefix of the body.
        body: BodyPrefix,
        #[source]
        /// Why decoding failed.
        source: serde_json::Error,
    },
    /// The response body was larger than `RequestPolicy::max_response_bytes`; reading stopped there.
    #[error("{operation}: response body exceeds {limit} bytes (HTTP {status})")]
    ResponseTooLarge {
        /// The operation (`snake_case` id).
        operation: &'static str,
        /// The response's HTTP status.
        status: u16,
        /// `RequestPolicy::max_response_bytes`.
        limit: usize,
    },
    /// The provider's envelope carried a non-success code.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A batch operation succeeded as a call (`code` 200) but some or all of its items failed: which
    /// succeeded, which failed and why are in the [`PartialFailure`]. See [`PartialFailure`] for the rules.
    #[error(transparent)]
    PartialFailure(Box<PartialFailure>),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl Error {
    /// The operation (`snake_case` id) that failed.
    pub fn operation(&self) -> &'static str {
        match self {
            Error::InvalidRequest { operation, .. }
            | Error::Signing { operation, .. }
            | Error::Transport { operation, .. }
            | Error::HttpStatus { operation, .. }
            | Error::Decode { operation, .. }
            | Error::ResponseTooLarge { operation, .. } => operation,
            Error::Api(e) => e.operation,
            Error::PartialFailure(p) => p.operation,
        }
    }

    /// The partial batch failure, if this is one.
    pub fn partial_failure(&self) -> Option<&PartialFailure> {
        match self {
            Error::PartialFailure(p) => Some(p),
            _ => None,
        }
    }

    /// The business error, whether it came with HTTP 200 or another status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::HttpStatus { api, .. } => api.as_deref(),
            _ => None,
        }
    }

    /// The raw body kept by a decode or status error.
    pub fn body(&self) -> Option<&BodyPrefix> {
        match self {
            Error::HttpStatus { body, .. } | Error::Decode { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// The marker of a response whose body exceeded `RequestPolicy::max_response_bytes`. The runtime stops
/// reading such a body and hands on a response with the real status and headers, this marker in its
/// extensions and a body that fails with it; calls surface it as [`Error::ResponseTooLarge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("response body (HTTP {status}) exceeds {limit} bytes")]
pub struct BodyTooLarge {
    /// The response's HTTP status.
    pub status: u16,
    /// The limit that was exceeded (`RequestPolicy::max_response_bytes`).
    pub limit: usize,
}

impl BodyTooLarge {
    /// The marker in `error` or its sources, if reading a body stopped at the limit.
    pub fn in_error(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(marker) = e.downcast_ref::<BodyTooLarge>() {
                return Some(*marker);
            }
            current = e.source();
        }
        None
    }
}

/// An error and its sources on one line (`a: b: c`), each source left out when the text so far already
/// says it.
struct Causes<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.0.to_string();
        let mut next = self.0.source();
        while let Some(cause) = next {
            let said = cause.to_string();
            if !said.is_empty() && !text.contains(&said) {
                text.push_str(": ");
                text.push_str(&said);
            }
            next = cause.source();
        }
        f.write_str(&text)
    }
}
