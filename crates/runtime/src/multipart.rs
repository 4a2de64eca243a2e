//! Multipart forms: [`MultipartForm`], [`ImageUpload`].

use std::fmt;

/// The text fields of a `multipart/form-data` body, in order.
///
/// A constructor that validates its input (e.g. [`ImageUpload`]) can produce an *invalid* form instead of a
/// `Result`; sending it fails with [`crate::Error::InvalidRequest`] before anything is signed or sent.
///
/// Used for the endpoints progenitor cannot generate (listed under `x-hand-written` in a spec),
/// sent by [`crate::Runtime::call_multipart`], and the Dajisaas image-upload form built on them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MultipartForm {
    fields: Vec<(String, String)>,
    problem: Option<String>,
}

impl MultipartForm {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// A form that is refused when sent, with `message` as the `InvalidRequest` message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            fields: Vec::new(),
            problem: Some(message.into()),
        }
    }

    /// The text fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Why this form cannot be sent, if it cannot.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
}

/// Field names and value sizes only: values can be megabytes of Base64.
impl fmt::Debug for MultipartForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MultipartForm");
        for (name, value) in &self.fields {
            d.field(name, &format_args!("<{} bytes>", value.len()));
        }
        if let Some(p) = &self.problem {
            d.field("problem", p);
        }
        d.finish()
    }
}

/// How an upload's text fields travel (`<PREFIX>_UPLOAD_ENCODING`): unpublished, so a named reading. The
/// request is built as `multipart/form-data` by [`crate::Runtime::call_multipart`]; the signer puts the
/// fields where the reading says ([`UploadEncoding::encode`]) after signing them (the signed set — query,
/// fields, `appKey` — is the same in every reading).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UploadEncoding {
    /// Every field a query parameter, no body. The default: the vendor's upload pages list `image_base64`
    /// and `pic_url` under "Query Params", beside `appKey` and `sign`.
    #[default]
    Query,
    /// An `application/x-www-form-urlencoded` body (what one third-party client sends); `appKey` and
    /// `sign` in the query.
    Form,
    /// A `multipart/form-data` body of text fields (what a Spring `@RequestParam` handler, which Apifox
    /// renders as "Query Params", also accepts; a URL cannot carry a 3 MB image); `appKey` and `sign` in
    /// the query.
    Multipart,
}

impl UploadEncoding {
    /// Put a signed upload's text `fields` where this reading says. `request` was built with them as its
    /// `multipart/form-data` body, which [`UploadEncoding::Multipart`] keeps.
    pub fn encode(self, request: &mut reqwest::Request, fields: &[(&str, &str)]) {
        use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
        match self {
            UploadEncoding::Multipart => {}
            UploadEncoding::Query => {
                request.url_mut().query_pairs_mut().extend_pairs(fields);
                *request.body_mut() = None;
                request.headers_mut().remove(CONTENT_TYPE);
                request.headers_mut().remove(CONTENT_LENGTH);
            }
            UploadEncoding::Form => {
                let mut text = reqwest::Url::parse("form:").expect("a valid URL");
                text.query_pairs_mut().extend_pairs(fields);
                let body = text.query().unwrap_or_default().to_owned();
                request.headers_mut().remove(CONTENT_LENGTH);
                request.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                *request.body_mut() = Some(body.into());
            }
        }
    }
}

/// `request`'s query without the form's own `fields`: a query-encoded upload signed again carries them in its
/// query, and they are signed (and placed) once, as fields.
pub(crate) fn without_fields(request: &mut reqwest::Request, fields: &[(&str, &str)]) {
    let kept: Vec<(String, String)> = request
        .url()
        .query_pairs()
        .filter(|(k, _)| !fields.iter().any(|(name, _)| k == name))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        request.url_mut().set_query(None);
    } else {
        request
            .url_mut()
            .query_pairs_mut()
            .clear()
            .extend_pairs(kept);
    }
}

/// The most an uploaded image may weigh: "size must not exceed 3MB", read as 3 MiB (the wider reading,
/// so no image the vendor accepts is refused here).
pub const MAX_IMAGE_BYTES: usize = 3 * 1024 * 1024;

/// The image of a Dajisaas image upload (`upload_image`, `taobao_upload_image`): either a link the vendor
/// fetches (`pic_url`) or the image itself, Base64-encoded (`image_base64`; JPG, PNG or WEBP, at most
/// 3 MB — both checked before sending). When both are sent the vendor uses `image_base64`; this type
/// sends exactly one.
#[derive(Clone, PartialEq, Eq)]
pub enum ImageUpload {
    /// `pic_url`: the complete image URL.
    Url(String),
    /// `image_base64`: the image, standard Base64.
    Base64(String),
}

impl ImageUpload {
    /// The image at a URL.
    pub fn url(url: impl Into<String>) -> Self {
        ImageUpload::Url(url.into())
    }

    /// The image as standard Base64.
    pub fn base64(base64: impl Into<String>) -> Self {
        ImageUpload::Base64(base64.into())
    }

    /// The raw bytes of a JPG, PNG or WEBP file (encoded to Base64 here).
    pub fn bytes(image: &[u8]) -> Self {
        ImageUpload::Base64(base64_encode(image))
    }
}

impl fmt::Debug for ImageUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageUpload::Url(u) => f.debug_tuple("Url").field(u).finish(),
            ImageUpload::Base64(b) => write!(f, "Base64(<{} chars>)", b.len()),
        }
    }
}

impl From<ImageUpload> for MultipartForm {
    fn from(image: ImageUpload) -> Self {
        match image {
            ImageUpload::Url(url) => MultipartForm::new().text("pic_url", url),
            ImageUpload::Base64(data) => match check_image(&data) {
                Ok(()) => MultipartForm::new().text("image_base64", data),
                Err(problem) => MultipartForm::invalid(problem),
            },
        }
    }
}

/// The documented limits of `image_base64`: at most [`MAX_IMAGE_BYTES`] once decoded, JPG/PNG/WEBP.
fn check_image(base64: &str) -> Result<(), String> {
    if base64.starts_with("data:") {
        return Err("image_base64 must be plain Base64, without a `data:` URL prefix".into());
    }
    let digits: Vec<u8> = base64
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let padding = digits.iter().rev().take_while(|&&b| b == b'=').count();
    let size = (digits.len() / 4 * 3 + digits.len() % 4 * 3 / 4).saturating_sub(padding);
    if size > MAX_IMAGE_BYTES {
        return Err(format!(
            "image_base64 holds {size} bytes, the documented maximum is 3 MB ({MAX_IMAGE_BYTES} bytes)"
        ));
    }
    let head = base64_decode_prefix(&digits[..digits.len().min(16)])
        .ok_or("image_base64 is not standard Base64")?;
    let is = |magic: &[u8], at: usize| head.get(at..at + magic.len()) == Some(magic);
    if is(b"\xFF\xD8\xFF", 0) || is(b"\x89PNG\r\n\x1A\n", 0) || (is(b"RIFF", 0) && is(b"WEBP", 8)) {
        Ok(())
    } else {
        Err("image_base64 is not a JPG, PNG or WEBP image (the documented formats)".into())
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding.
fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decode whole groups of 4 digits (padding ends the data); `None` on a character outside the alphabet.
fn base64_decode_prefix(digits: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(digits.len() / 4 * 3);
    for group in digits.chunks_exact(4) {
        let mut n = 0u32;
        let mut len = 3;
        for (i, &d) in group.iter().enumerate() {
            let v = if d == b'=' {
                len = len.min(i.saturating_sub(1));
                0
            } else {
                ALPHABET.iter().position(|&a| a == d)? as u32
            };
            n = (n << 6) | v;
        }
        out.extend_from_slice(&n.to_be_bytes()[1..1 + len]);
        if len < 3 {
            break;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR";

    #[test]
    fn base64_round_trips_and_matches_known_encodings() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(&[0xFB, 0xFF]), "+/8=");
        assert_eq!(base64_decode_prefix(b"Zm9vYmFy").unwrap(), b"foobar");
        assert_eq!(base64_decode_prefix(b"Zm8=").unwrap(), b"fo");
        assert_eq!(base64_decode_prefix(b"Zg==").unwrap(), b"f");
        assert!(base64_decode_prefix(b"Zm9v-A==").is_none());
    }

    #[test]
    fn image_forms_check_the_documented_limits() {
        let url = MultipartForm::from(ImageUpload::url("https://img.alicdn.com/a.jpg"));
        assert_eq!(
            url.fields().collect::<Vec<_>>(),
            [("pic_url", "https://img.alicdn.com/a.jpg")]
        );
        let png = MultipartForm::from(ImageUpload::bytes(PNG));
        assert_eq!(png.problem(), None);
        assert_eq!(png.fields().next().unwrap().0, "image_base64");
        for ok in [&b"\xFF\xD8\xFF\xE0rest"[..], b"RIFF\x10\0\0\0WEBPVP8 "] {
            assert_eq!(MultipartForm::from(ImageUpload::bytes(ok)).problem(), None);
        }

        let gif = MultipartForm::from(ImageUpload::bytes(b"GIF89a........"));
        assert!(gif.problem().unwrap().contains("JPG, PNG or WEBP"));
        let mut big = PNG.to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        let too_big = MultipartForm::from(ImageUpload::bytes(&big));
        assert_eq!(
            too_big.problem(),
            Some(
                "image_base64 holds 3145729 bytes, the documented maximum is 3 MB (3145728 bytes)"
            )
        );
        big.truncate(MAX_IMAGE_BYTES);
        assert_eq!(
            MultipartForm::from(ImageUpload::bytes(&big)).problem(),
            None
        );
        let data_url = MultipartForm::from(ImageUpload::base64("data:image/png;base64,iVBO"));
        assert!(data_url.problem().unwrap().contains("data:"));
        assert!(!format!("{:?}", ImageUpload::bytes(&big)).contains("iVBO"));
    }
}
