//! Named variants of the unpublished signing rules: [`SigningSettings`], [`Variant`].

use super::TimestampUnit;
use super::access_key::{AccessKeySettings, V2Nonce};
use super::app_key::{
    AppKeySettings, ListFormat, PostSignedFields, RequestTimeType, SignPlacement,
};
use crate::multipart::UploadEncoding;
use std::fmt;

/// A named reading of an unpublished rule: a closed list of values, each with a stable name.
pub trait Variant: Copy + Default + Eq + fmt::Debug + 'static {
    /// Every value, the default first.
    const ALL: &'static [Self];
    /// The name used in configuration.
    fn name(self) -> &'static str;
    /// The value of this name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// The names of every value, default first.
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.name()).collect()
    }

    /// The value of the setting `<prefix>_<key>` read through `lookup`; unset is the default; an unknown
    /// name is an error naming the key and the valid values.
    fn from_setting(
        prefix: &str,
        key: &str,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let full = format!("{prefix}_{key}");
        match lookup(&full) {
            None => Ok(Self::default()),
            Some(value) => Self::from_name(value.trim()).ok_or_else(|| {
                format!(
                    "{full}={value:?} is not a known variant; valid: {}",
                    Self::names().join(", ")
                )
            }),
        }
    }
}

impl Variant for TimestampUnit {
    const ALL: &'static [Self] = &[TimestampUnit::Milliseconds, TimestampUnit::Seconds];
    fn name(self) -> &'static str {
        match self {
            TimestampUnit::Milliseconds => "ms",
            TimestampUnit::Seconds => "s",
        }
    }
}

impl Variant for UploadEncoding {
    const ALL: &'static [Self] = &[
        UploadEncoding::Query,
        UploadEncoding::Form,
        UploadEncoding::Multipart,
    ];
    fn name(self) -> &'static str {
        match self {
            UploadEncoding::Query => "query",
            UploadEncoding::Form => "form",
            UploadEncoding::Multipart => "multipart",
        }
    }
}

/// A signing setting's key (after `<PREFIX>_`) and the names of its valid values (default first).
pub type SigningSettingKey = (&'static str, fn() -> Vec<&'static str>);

/// The readings of every unpublished signing rule a provider's signer uses: header scheme (PandaPon,
/// Xportcn) and app-key scheme (Dajisaas). Read with [`SigningSettings::from_lookup`].
///
/// Each unpublished or contradicted signing rule is a named [`Variant`], chosen by a configuration key
/// ([`SigningSettings::KEYS`]); the variant types live beside their algorithms ([`AccessKeySettings`],
/// [`AppKeySettings`]). A setting is `<PREFIX>_<KEY>=<value>` (environment or a CLI `--config` file). The
/// default of each is the best evidence; the README's table of signing variants gives the evidence for
/// every value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigningSettings {
    /// The header scheme's (PandaPon, Xportcn).
    pub access_key: AccessKeySettings,
    /// The app-key scheme's (Dajisaas).
    pub app_key: AppKeySettings,
}

impl SigningSettings {
    /// The setting keys, each with the names of its valid values.
    pub const KEYS: [SigningSettingKey; 8] = [
        ("TIMESTAMP_UNIT", TimestampUnit::names),
        ("V2_NONCE", V2Nonce::names),
        ("POST_SIGNED_FIELDS", PostSignedFields::names),
        ("REQUEST_TIME_UNIT", TimestampUnit::names),
        ("REQUEST_TIME_TYPE", RequestTimeType::names),
        ("SIGN_PLACEMENT", SignPlacement::names),
        ("ORDER_ID_LIST", ListFormat::names),
        ("UPLOAD_ENCODING", UploadEncoding::names),
    ];

    /// The settings of the provider whose configuration prefix is `prefix` (`PANDAPON`, `DAJISAAS`, …):
    /// every key of [`Self::KEYS`] read through `lookup` (environment, `--config` file); unset keys keep the
    /// default.
    pub fn from_lookup(
        prefix: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        Ok(SigningSettings {
            access_key: AccessKeySettings {
                timestamp_unit: Variant::from_setting(prefix, "TIMESTAMP_UNIT", &lookup)?,
                v2_nonce: Variant::from_setting(prefix, "V2_NONCE", &lookup)?,
            },
            app_key: AppKeySettings {
                post_signed_fields: Variant::from_setting(prefix, "POST_SIGNED_FIELDS", &lookup)?,
                request_time_unit: Variant::from_setting(prefix, "REQUEST_TIME_UNIT", &lookup)?,
                request_time_type: Variant::from_setting(prefix, "REQUEST_TIME_TYPE", &lookup)?,
                sign_placement: Variant::from_setting(prefix, "SIGN_PLACEMENT", &lookup)?,
                list_format: Variant::from_setting(prefix, "ORDER_ID_LIST", &lookup)?,
                upload_encoding: Variant::from_setting(prefix, "UPLOAD_ENCODING", &lookup)?,
            },
        })
    }

    /// Every setting as `(<prefix>_<key>, value name)`, in [`Self::KEYS`] order: what to write in a
    /// configuration file to pin these settings.
    pub fn pins(&self, prefix: &str) -> Vec<(String, &'static str)> {
        let a = &self.access_key;
        let k = &self.app_key;
        let values = [
            a.timestamp_unit.name(),
            a.v2_nonce.name(),
            k.post_signed_fields.name(),
            k.request_time_unit.name(),
            k.request_time_type.name(),
            k.sign_placement.name(),
            k.list_format.name(),
            k.upload_encoding.name(),
        ];
        Self::KEYS
            .iter()
            .zip(values)
            .map(|((key, _), v)| (format!("{prefix}_{key}"), v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn unset_keys_are_the_defaults_and_names_round_trip() {
        let none = SigningSettings::from_lookup("DAJISAAS", |_| None).unwrap();
        assert_eq!(none, SigningSettings::default());
        let pins: BTreeMap<String, String> = [
            ("DAJISAAS_TIMESTAMP_UNIT", "s"),
            ("DAJISAAS_V2_NONCE", "signed"),
            ("DAJISAAS_POST_SIGNED_FIELDS", "top-level"),
            ("DAJISAAS_REQUEST_TIME_UNIT", "s"),
            ("DAJISAAS_REQUEST_TIME_TYPE", "string"),
            ("DAJISAAS_SIGN_PLACEMENT", "query"),
            ("DAJISAAS_ORDER_ID_LIST", "comma"),
            ("DAJISAAS_UPLOAD_ENCODING", "multipart"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let s = SigningSettings::from_lookup("DAJISAAS", |k| pins.get(k).cloned()).unwrap();
        assert_eq!(s.app_key.sign_placement, SignPlacement::Query);
        assert_eq!(s.access_key.v2_nonce, V2Nonce::Signed);
        let back: BTreeMap<String, String> = s
            .pins("DAJISAAS")
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        assert_eq!(back, pins);
    }

    #[test]
    fn an_unknown_value_names_the_key_and_the_valid_ones() {
        let e = SigningSettings::from_lookup("PANDAPON", |k| {
            (k == "PANDAPON_V2_NONCE").then(|| "maybe".to_owned())
        })
        .unwrap_err();
        assert_eq!(
            e,
            "PANDAPON_V2_NONCE=\"maybe\" is not a known variant; valid: omitted, signed"
        );
    }

    #[test]
    fn id_lists_are_written_in_the_chosen_format() {
        assert_eq!(ListFormat::default(), ListFormat::JsonArray);
        assert_eq!(ListFormat::Comma.write("1,2"), "1,2");
        assert_eq!(ListFormat::Comma.write("[1, \"a2\"]"), "1,a2");
        assert_eq!(ListFormat::JsonArray.write("1, 2"), "[1,2]");
        assert_eq!(ListFormat::JsonArray.write("[1,2]"), "[1,2]");
        assert_eq!(ListFormat::JsonArray.write("a1"), "[\"a1\"]");
    }
}
