//! Wire types for values the vendors' documents type inconsistently.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An identifier that the vendors send sometimes as a JSON number and sometimes as a JSON string
/// (19-digit 1688 order ids, `developId`, …). It is kept exactly as text — never through `f64` — and
/// re-encoded in the form it was received, so a round trip is lossless. Ids of up to 22
/// bytes (every integer id: `u64` has 20 digits at most, `i64` 19 and a sign) are stored inline, without
/// an allocation; longer ones on the heap.
#[derive(Clone)]
pub struct LenientId {
    text: IdText,
    numeric: bool,
}

/// The longest id kept inline.
pub(crate) const INLINE_ID_LEN: usize = 22;

/// An id's text: inline up to [`INLINE_ID_LEN`] bytes, else boxed. Always valid UTF-8 (it is only ever
/// filled from a `&str` or from ASCII digits).
#[derive(Clone)]
enum IdText {
    Inline { len: u8, bytes: [u8; INLINE_ID_LEN] },
    Heap(Box<str>),
}

impl IdText {
    #[inline]
    fn copy_of(text: &str) -> Self {
        if text.len() <= INLINE_ID_LEN {
            let mut bytes = [0u8; INLINE_ID_LEN];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            IdText::Inline {
                len: text.len() as u8,
                bytes,
            }
        } else {
            IdText::Heap(text.into())
        }
    }

    fn from_string(text: String) -> Self {
        if text.len() <= INLINE_ID_LEN {
            Self::copy_of(&text)
        } else {
            IdText::Heap(text.into_boxed_str())
        }
    }

    #[inline]
    fn as_str(&self) -> &str {
        match self {
            // Filled only from a `&str` prefix or ASCII digits: valid UTF-8 (never the fallback).
            IdText::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            IdText::Heap(text) => text,
        }
    }
}

impl LenientId {
    /// An id to be sent as a JSON string.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: IdText::from_string(text.into()),
            numeric: false,
        }
    }

    /// The id's text.
    #[inline]
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    /// Whether the id was received as (or will be sent as) a JSON number.
    pub fn is_numeric(&self) -> bool {
        self.numeric
    }

    fn integer(n: u64, negative: bool) -> Self {
        Self {
            text: decimal(n, negative),
            numeric: true,
        }
    }
}

// Equality, order and hash are those of (text, form), whichever way the text is stored.
impl PartialEq for LenientId {
    fn eq(&self, other: &Self) -> bool {
        (self.as_str(), self.numeric) == (other.as_str(), other.numeric)
    }
}

impl Eq for LenientId {}

impl PartialOrd for LenientId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LenientId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.as_str(), self.numeric).cmp(&(other.as_str(), other.numeric))
    }
}

impl std::hash::Hash for LenientId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.as_str(), self.numeric).hash(state)
    }
}

impl fmt::Debug for LenientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for LenientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LenientId {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(s))
    }
}

impl From<&str> for LenientId {
    fn from(s: &str) -> Self {
        Self {
            text: IdText::copy_of(s),
            numeric: false,
        }
    }
}

impl From<String> for LenientId {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<u64> for LenientId {
    fn from(n: u64) -> Self {
        Self::integer(n, false)
    }
}

impl From<i64> for LenientId {
    fn from(n: i64) -> Self {
        Self::integer(n.unsigned_abs(), n < 0)
    }
}

impl Serialize for LenientId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.as_str();
        if self.numeric {
            if let Ok(n) = text.parse::<u64>() {
                return s.serialize_u64(n);
            }
            if let Ok(n) = text.parse::<i64>() {
                return s.serialize_i64(n);
            }
        }
        s.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for LenientId {
    /// One pass over the input, no buffering: the id arrives as a string or an integer, so the format is
    /// asked for whatever is next (`deserialize_any` is the only hint a self-describing format answers
    /// with both forms) and a specialised visitor takes it in the cheapest form — a short string copied
    /// inline, a long one boxed once, an integer written as decimal text inline without going through `fmt`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

/// The specialised visitor of [`LenientId`].
struct IdVisitor;

impl serde::de::Visitor<'_> for IdVisitor {
    type Value = LenientId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id as a JSON string or integer")
    }

    #[inline]
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LenientId, E> {
        Ok(LenientId::from(v))
    }

    #[inline]
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<LenientId, E> {
        Ok(LenientId::new(v))
    }

    #[inline]
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LenientId, E> {
        Ok(LenientId::from(v))
    }

    #[inline]
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LenientId, E> {
        Ok(LenientId::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<LenientId, E> {
        // A float id has already lost precision upstream; refuse rather than guess.
        Err(E::custom(format!(
            "id {v} is a floating-point number; ids must be integers or strings"
        )))
    }
}

/// `n` (negated if `negative`) as decimal text, two digits per step, written inline (at most 21 bytes).
#[inline]
fn decimal(mut n: u64, negative: bool) -> IdText {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";
    let mut buf = [0u8; INLINE_ID_LEN];
    let mut i = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    // Right-aligned in `buf`: move to the front.
    let len = buf.len() - i;
    buf.copy_within(i.., 0);
    IdText::Inline {
        len: len as u8,
        bytes: buf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_19_digit_ids_exact_in_both_forms() {
        for raw in ["2257455039610311973", "\"2257455039610311973\""] {
            let id: LenientId = serde_json::from_str(raw).unwrap();
            assert_eq!(id.as_str(), "2257455039610311973");
            assert_eq!(serde_json::to_string(&id).unwrap(), raw);
        }
    }

    #[test]
    fn integers_become_exact_decimal_text() {
        for n in [0u64, 7, 10, 99, 100, 12345, u64::MAX, 2257455039610311973] {
            assert_eq!(decimal(n, false).as_str(), n.to_string());
            let id: LenientId = serde_json::from_str(&n.to_string()).unwrap();
            assert_eq!(
                (id.as_str(), id.is_numeric()),
                (n.to_string().as_str(), true)
            );
        }
        for n in [-1i64, -10, -9876543210, i64::MIN] {
            let id: LenientId = serde_json::from_str(&n.to_string()).unwrap();
            assert_eq!(id.as_str(), n.to_string());
            assert_eq!(serde_json::to_string(&id).unwrap(), n.to_string());
        }
        let id: LenientId = serde_json::from_str(r#""a\"b""#).unwrap();
        assert_eq!((id.as_str(), id.is_numeric()), ("a\"b", false));
    }

    #[test]
    fn ids_up_to_22_bytes_are_inline_longer_ones_boxed() {
        let inline = |id: &LenientId| matches!(id.text, IdText::Inline { .. });
        for raw in [
            "18446744073709551615",
            "-9223372036854775808",
            "\"2257455039610311973\"",
        ] {
            let id: LenientId = serde_json::from_str(raw).unwrap();
            assert!(inline(&id), "{raw}");
            assert_eq!(serde_json::to_string(&id).unwrap(), raw);
        }
        let request_id = "9502cd80026d45018af181d760288f63";
        let long: LenientId = serde_json::from_str(&format!("\"{request_id}\"")).unwrap();
        assert!(!inline(&long));
        assert_eq!(long.as_str(), request_id);
        assert_eq!(long, LenientId::new(request_id.to_string()));
        assert!(inline(&LenientId::new("x".repeat(22))));
        assert!(!inline(&LenientId::new("x".repeat(23))));
        // Escapes arrive as an owned string: kept exactly, inline when short.
        let escaped: LenientId = serde_json::from_str(r#""\u00e9t\u00e9""#).unwrap();
        assert_eq!((escaped.as_str(), inline(&escaped)), ("été", true));
        // Same text in another form is another id; same text and form, the same one.
        assert_ne!(LenientId::from(7u64), LenientId::new("7"));
        assert_eq!(LenientId::from(7i64), LenientId::from(7u64));
        assert_eq!(LenientId::from("7"), "7".parse::<LenientId>().unwrap());
    }

    #[test]
    fn rejects_floats_and_objects() {
        assert!(serde_json::from_str::<LenientId>("1.5e3").is_err());
        assert!(serde_json::from_str::<LenientId>("{}").is_err());
    }
}

/// A request/response field the vendor sends as a JSON document inside a string (PandaPon `receiver`,
/// `orderLineList`, `sort`, …). Holds the typed value; serialises it to a JSON string and parses it back, so
/// users build the inner value and never hand-encode JSON. Specs use it through `x-runtime-type`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct JsonString<T>(pub T);

impl<T> JsonString<T> {
    /// Wrap `value`.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The inner value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for JsonString<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> std::ops::Deref for JsonString<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize> Serialize for JsonString<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for JsonString<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text).map(JsonString).map_err(|e| {
            serde::de::Error::custom(format!("JSON inside the string is invalid: {e}"))
        })
    }
}

#[cfg(test)]
mod json_string_tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn encodes_inner_value_as_string_and_back() {
        let sort: JsonString<BTreeMap<String, String>> =
            JsonString([("price".to_string(), "asc".to_string())].into());
        let text = serde_json::to_string(&sort).unwrap();
        assert_eq!(text, r#""{\"price\":\"asc\"}""#);
        assert_eq!(
            serde_json::from_str::<JsonString<BTreeMap<String, String>>>(&text).unwrap(),
            sort
        );
        assert!(
            serde_json::from_str::<JsonString<BTreeMap<String, String>>>(r#""{oops""#).is_err()
        );
    }
}
