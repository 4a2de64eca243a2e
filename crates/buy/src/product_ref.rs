//! Product references: an id, or a link a user pastes, parsed exactly.

use std::fmt;

/// The marketplace a product belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// 1688.com (an "offer").
    Alibaba1688,
    /// Taobao (an "item").
    Taobao,
    /// Tmall (an "item"; Tmall items share Taobao's id space).
    Tmall,
}

impl Platform {
    /// `1688`, `Taobao` or `Tmall`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Alibaba1688 => "1688",
            Platform::Taobao => "Taobao",
            Platform::Tmall => "Tmall",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A product on a marketplace, with its id kept exactly as text.
///
/// Accepted (scheme `https://`, `http://` or none; host case-insensitive; `www.` not accepted where the
/// marketplace does not use it; other query parameters and `#fragment` ignored):
///
/// | platform | form |
/// |---|---|
/// | 1688 | `detail.1688.com/offer/<id>.html`, the link the vendor docs show (PandaPon's product example) |
/// | 1688 | `m.1688.com/offer/<id>.html`, 1688's mobile page for the same offer |
/// | Taobao | `item.taobao.com/item.htm?id=<id>` |
/// | Taobao | `h5.m.taobao.com/awp/core/detail.htm?id=<id>` (mobile) |
/// | Taobao | `m.intl.taobao.com/detail/detail.html?id=<id>` (international mobile) |
/// | Tmall | `detail.tmall.com/item.htm?id=<id>` |
/// | Tmall | `detail.m.tmall.com/item.htm?id=<id>` (mobile) |
/// | 1688 | a bare id: digits only (every provider of the purchase flow sells 1688 offers) |
///
/// An id is 1 to 19 ASCII digits without a leading zero that fits in a signed 64-bit integer (Dajisaas
/// sends offer ids as `int64`). Short links (`e.tb.cn`, `qr.1688.com`, …) need a redirect to be resolved and
/// are refused, as is anything else, with a [`ProductRefError`] saying why. Parsing never panics.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProductRef {
    platform: Platform,
    id: String,
}

/// Why a text is not a product reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProductRefError {
    /// Nothing was given.
    #[error("empty product reference")]
    Empty,
    /// A short link (`e.tb.cn`…), which only a browser resolves.
    #[error("`{0}` is a short link: open it in a browser and paste the full product link")]
    ShortLink(String),
    /// A host that is no product page.
    #[error(
        "`{host}` is not a product page this SDK recognises (1688 offer, Taobao or Tmall item links)"
    )]
    UnknownHost {
        /// The host.
        host: String,
    },
    /// A page of a known platform that is no product page.
    #[error("`{link}` is on {platform} but not a product page link this SDK recognises")]
    UnknownPath {
        /// The platform.
        platform: Platform,
        /// The link.
        link: String,
    },
    /// No `id=` parameter.
    #[error("the link has no `id=` query parameter")]
    MissingId,
    /// Two or more `id=` parameters.
    #[error("the link has more than one `id=` query parameter")]
    DuplicateId,
    /// An id that is not one.
    #[error("`{id}` is not a product id: {why}")]
    BadId {
        /// The id as given.
        id: String,
        /// Why it is none.
        why: &'static str,
    },
}

/// Hosts known to be redirecting short links.
const SHORT_LINK_HOSTS: &[&str] = &["e.tb.cn", "m.tb.cn", "s.click.taobao.com", "qr.1688.com"];

impl ProductRef {
    /// A 1688 offer by id.
    pub fn offer_1688(id: &str) -> Result<Self, ProductRefError> {
        Ok(ProductRef {
            platform: Platform::Alibaba1688,
            id: check_id(id)?,
        })
    }

    /// A Taobao item by id.
    pub fn taobao_item(id: &str) -> Result<Self, ProductRefError> {
        Ok(ProductRef {
            platform: Platform::Taobao,
            id: check_id(id)?,
        })
    }

    /// A Tmall item by id.
    pub fn tmall_item(id: &str) -> Result<Self, ProductRefError> {
        Ok(ProductRef {
            platform: Platform::Tmall,
            id: check_id(id)?,
        })
    }

    /// Parses a bare 1688 offer id or one of the links listed on [`ProductRef`].
    pub fn parse(text: &str) -> Result<Self, ProductRefError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ProductRefError::Empty);
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Self::offer_1688(text);
        }
        let rest = strip_scheme(text);
        let (rest, _fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, path) = match before_query.find('/') {
            Some(i) => before_query.split_at(i),
            None => (before_query, ""),
        };
        let host = host.to_ascii_lowercase();
        if SHORT_LINK_HOSTS.contains(&host.as_str()) {
            return Err(ProductRefError::ShortLink(text.to_string()));
        }
        let unknown_path = |platform| ProductRefError::UnknownPath {
            platform,
            link: text.to_string(),
        };
        match host.as_str() {
            "detail.1688.com" | "m.1688.com" => {
                let id = path
                    .strip_prefix("/offer/")
                    .and_then(|p| p.strip_suffix(".html"))
                    .ok_or_else(|| unknown_path(Platform::Alibaba1688))?;
                Self::offer_1688(id)
            }
            "item.taobao.com" if path == "/item.htm" => Self::taobao_item(&query_id(query)?),
            "h5.m.taobao.com" if path == "/awp/core/detail.htm" => {
                Self::taobao_item(&query_id(query)?)
            }
            "m.intl.taobao.com" if path == "/detail/detail.html" => {
                Self::taobao_item(&query_id(query)?)
            }
            "item.taobao.com" | "h5.m.taobao.com" | "m.intl.taobao.com" => {
                Err(unknown_path(Platform::Taobao))
            }
            "detail.tmall.com" | "detail.m.tmall.com" if path == "/item.htm" => {
                Self::tmall_item(&query_id(query)?)
            }
            "detail.tmall.com" | "detail.m.tmall.com" => Err(unknown_path(Platform::Tmall)),
            _ => Err(ProductRefError::UnknownHost { host }),
        }
    }

    /// The platform the product is on.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The id, exactly as written (digits).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The id as a number (it always fits: checked when parsed).
    pub fn id_i64(&self) -> i64 {
        self.id.parse().unwrap_or_default()
    }
}

impl std::str::FromStr for ProductRef {
    type Err = ProductRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ProductRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.platform, self.id)
    }
}

fn strip_scheme(text: &str) -> &str {
    for scheme in ["https://", "http://", "HTTPS://", "HTTP://"] {
        if let Some(rest) = text.strip_prefix(scheme) {
            return rest;
        }
    }
    text
}

fn query_id(query: &str) -> Result<String, ProductRefError> {
    let mut ids = query.split('&').filter_map(|pair| pair.strip_prefix("id="));
    let id = ids.next().ok_or(ProductRefError::MissingId)?;
    if ids.next().is_some() {
        return Err(ProductRefError::DuplicateId);
    }
    Ok(id.to_string())
}

fn check_id(id: &str) -> Result<String, ProductRefError> {
    let bad = |why| ProductRefError::BadId {
        id: id.to_string(),
        why,
    };
    if id.is_empty() {
        return Err(bad("empty"));
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("only ASCII digits are allowed"));
    }
    if id.len() > 1 && id.starts_with('0') {
        return Err(bad("leading zero"));
    }
    if id.len() > 19 || id.parse::<i64>().is_err() {
        return Err(bad("larger than a signed 64-bit integer"));
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_published_link_and_every_documented_form() {
        let r = ProductRef::parse(
            "https://detail.1688.com/offer/706627393257.html?spm=a26286.8251493.description.1.221425b2ZGvKXZ",
        )
        .unwrap();
        assert_eq!(
            (r.platform(), r.id()),
            (Platform::Alibaba1688, "706627393257")
        );
        for (link, platform, id) in [
            (
                "m.1688.com/offer/672991141190.html",
                Platform::Alibaba1688,
                "672991141190",
            ),
            (
                "http://DETAIL.1688.com/offer/1.html#top",
                Platform::Alibaba1688,
                "1",
            ),
            ("672991141190", Platform::Alibaba1688, "672991141190"),
            (
                "https://item.taobao.com/item.htm?spm=a1z10&id=684174095123",
                Platform::Taobao,
                "684174095123",
            ),
            (
                "https://h5.m.taobao.com/awp/core/detail.htm?id=42",
                Platform::Taobao,
                "42",
            ),
            (
                "https://m.intl.taobao.com/detail/detail.html?id=42",
                Platform::Taobao,
                "42",
            ),
            (
                "https://detail.tmall.com/item.htm?id=9223372036854775807",
                Platform::Tmall,
                "9223372036854775807",
            ),
            (
                "detail.m.tmall.com/item.htm?id=7&skuId=1",
                Platform::Tmall,
                "7",
            ),
        ] {
            let r = ProductRef::parse(link).unwrap_or_else(|e| panic!("{link}: {e}"));
            assert_eq!((r.platform(), r.id()), (platform, id), "{link}");
        }
    }

    #[test]
    fn refusals_say_why() {
        use ProductRefError::*;
        type Check = fn(&ProductRefError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| *e == Empty),
            ("https://e.tb.cn/h.abc", |e| matches!(e, ShortLink(_))),
            ("https://www.amazon.com/dp/B0", |e| {
                matches!(e, UnknownHost { .. })
            }),
            ("https://detail.1688.com/offer/abc.html", |e| {
                matches!(e, BadId { .. })
            }),
            ("https://detail.1688.com/company/1.html", |e| {
                matches!(e, UnknownPath { .. })
            }),
            ("https://item.taobao.com/item.htm?spm=1", |e| {
                *e == MissingId
            }),
            ("https://item.taobao.com/item.htm?id=1&id=2", |e| {
                *e == DuplicateId
            }),
            ("https://item.taobao.com/search.htm?id=1", |e| {
                matches!(e, UnknownPath { .. })
            }),
            ("9223372036854775808", |e| matches!(e, BadId { .. })),
            ("0123", |e| matches!(e, BadId { .. })),
            ("12 34", |e| matches!(e, UnknownHost { .. })),
        ];
        for (text, expected) in cases {
            let err = ProductRef::parse(text).unwrap_err();
            assert!(expected(&err), "{text}: {err:?}");
            assert!(!err.to_string().is_empty());
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in ".*") {
            let _ = ProductRef::parse(&text);
        }

        #[test]
        fn never_panics_on_link_like_text(
            host in prop::sample::select(vec!["detail.1688.com", "m.1688.com", "item.taobao.com", "detail.tmall.com", "h5.m.taobao.com", "x"]),
            path in "[/a-z0-9.?=&#%]{0,40}",
        ) {
            let _ = ProductRef::parse(&format!("https://{host}{path}"));
        }

        #[test]
        fn every_id_round_trips_exactly(n in 1u64..=i64::MAX as u64, form in 0usize..7) {
            let id = n.to_string();
            let link = [
                format!("https://detail.1688.com/offer/{id}.html"),
                format!("https://m.1688.com/offer/{id}.html?x=1"),
                format!("https://item.taobao.com/item.htm?id={id}"),
                format!("https://h5.m.taobao.com/awp/core/detail.htm?id={id}"),
                format!("https://m.intl.taobao.com/detail/detail.html?id={id}"),
                format!("https://detail.tmall.com/item.htm?id={id}&spm=2"),
                format!("https://detail.m.tmall.com/item.htm?id={id}#x"),
            ][form].clone();
            let r = ProductRef::parse(&link).unwrap();
            prop_assert_eq!(r.id(), id.as_str());
            prop_assert_eq!(r.id_i64() as u64, n);
        }
    }
}
