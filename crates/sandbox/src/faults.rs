//! Fault injection: rules matched per operation (or globally), optionally for the next N requests only.

use std::time::Duration;

/// What goes wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Delay the answer (combines with the other faults).
    Latency(Duration),
    /// Answer this HTTP status (5xx, 429, …) with an error envelope; `retry_after` seconds are sent as
    /// `Retry-After` when set.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Send the response head, then cut the connection in the middle of the body.
    DropConnection,
    /// HTTP 200 with the first half of the documented body.
    TruncatedBody,
    /// HTTP 200 with a body that is not JSON.
    MalformedBody,
    /// HTTP 200 with the provider's envelope carrying this business error code.
    Business { code: i64, message: String },
}

/// A fault for one operation id (or every operation when `operation` is `None`), for the next `times`
/// matching requests (or every one when `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    pub operation: Option<String>,
    pub fault: Fault,
    pub times: Option<u32>,
}

impl FaultRule {
    pub fn always(operation: Option<&str>, fault: Fault) -> Self {
        Self {
            operation: operation.map(str::to_owned),
            fault,
            times: None,
        }
    }

    pub fn times(operation: Option<&str>, fault: Fault, times: u32) -> Self {
        Self {
            operation: operation.map(str::to_owned),
            fault,
            times: Some(times),
        }
    }

    /// Parse the CLI form `<operation|*>=<fault>[:times]`, where fault is `latency-<ms>`, `<status>`
    /// (e.g. `503`, `429`), `drop`, `truncate`, `malformed` or `business-<code>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (op, rest) = text
            .split_once('=')
            .ok_or_else(|| format!("fault {text:?}: expected <operation|*>=<fault>[:times]"))?;
        let (fault, times) = match rest.split_once(':') {
            Some((f, n)) => (
                f,
                Some(
                    n.parse::<u32>()
                        .map_err(|_| format!("fault {text:?}: times {n:?} is not a number"))?,
                ),
            ),
            None => (rest, None),
        };
        let fault = match fault {
            "drop" => Fault::DropConnection,
            "truncate" => Fault::TruncatedBody,
            "malformed" => Fault::MalformedBody,
            f if f.starts_with("latency-") => Fault::Latency(Duration::from_millis(
                f["latency-".len()..]
                    .parse()
                    .map_err(|_| format!("fault {text:?}: latency needs milliseconds"))?,
            )),
            f if f.starts_with("business-") => Fault::Business {
                code: f["business-".len()..]
                    .parse()
                    .map_err(|_| format!("fault {text:?}: business needs a code"))?,
                message: "injected business error".into(),
            },
            f => match f.parse::<u16>() {
                Ok(status) if (400..600).contains(&status) => Fault::Status {
                    status,
                    retry_after: (status == 429).then_some(1),
                },
                _ => return Err(format!("fault {text:?}: unknown fault {f:?}")),
            },
        };
        Ok(Self {
            operation: (op != "*").then(|| op.to_string()),
            fault,
            times,
        })
    }

    pub(crate) fn matches(&self, operation: &str) -> bool {
        self.operation.as_deref().is_none_or(|o| o == operation) && self.times != Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_forms() {
        assert_eq!(
            FaultRule::parse("order_pay_url=503:2").unwrap(),
            FaultRule::times(
                Some("order_pay_url"),
                Fault::Status {
                    status: 503,
                    retry_after: None
                },
                2
            )
        );
        assert_eq!(
            FaultRule::parse("*=latency-250").unwrap(),
            FaultRule::always(None, Fault::Latency(Duration::from_millis(250)))
        );
        assert!(matches!(
            FaultRule::parse("*=429").unwrap().fault,
            Fault::Status {
                retry_after: Some(1),
                ..
            }
        ));
        assert!(FaultRule::parse("x=teapot").is_err());
        assert!(FaultRule::parse("nofault").is_err());
    }
}
