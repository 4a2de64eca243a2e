//! Credentials. Secrets are wrapped in [`Secret`], whose `Debug` and `Display` never show the value.

use std::fmt;

/// A secret string (access secret, app secret). `Debug`/`Display` print `<redacted>`; the value is only
/// reachable through [`Secret::expose`], which signers call.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret from its text.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw secret. Only signers should need this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Credentials of the header-signed providers (PandaPon, Xportcn): the access key and access secret from
/// "Console → AccessKey Management", and the `user-id` header used for sub-account permission control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyCredentials {
    /// The access key (an identifier, sent in the clear).
    pub access_key: String,
    /// The access secret (signs requests; never sent or printed).
    pub access_secret: Secret,
    /// The account's user id.
    pub user_id: String,
}

impl AccessKeyCredentials {
    /// Credentials from the key, secret and user id the vendor issued.
    pub fn new(
        access_key: impl Into<String>,
        access_secret: impl Into<Secret>,
        user_id: impl Into<String>,
    ) -> Self {
        Self {
            access_key: access_key.into(),
            access_secret: access_secret.into(),
            user_id: user_id.into(),
        }
    }

    /// Reads `<PREFIX>_ACCESS_KEY`, `<PREFIX>_ACCESS_SECRET` and `<PREFIX>_USER_ID` from the environment.
    pub fn from_env(prefix: &str) -> Result<Self, MissingEnv> {
        Ok(Self::new(
            env_var(prefix, "ACCESS_KEY")?,
            env_var(prefix, "ACCESS_SECRET")?,
            env_var(prefix, "USER_ID")?,
        ))
    }
}

/// Credentials of the parameter-signed provider (Dajisaas): `appKey` and the app secret used for `sign`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppKeyCredentials {
    /// The app key (an identifier, sent in the clear).
    pub app_key: String,
    /// The app secret (signs requests; sent only in the vendor's debug mode, never printed).
    pub app_secret: Secret,
}

impl AppKeyCredentials {
    /// Credentials from the key and secret the vendor issued.
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<Secret>) -> Self {
        Self {
            app_key: app_key.into(),
            app_secret: app_secret.into(),
        }
    }

    /// Reads `<PREFIX>_APP_KEY` and `<PREFIX>_APP_SECRET` from the environment.
    pub fn from_env(prefix: &str) -> Result<Self, MissingEnv> {
        Ok(Self::new(
            env_var(prefix, "APP_KEY")?,
            env_var(prefix, "APP_SECRET")?,
        ))
    }
}

/// One field of a kind of credentials, in the order the kind's values are given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialField {
    /// The environment variable's suffix: `ACCESS_KEY` is read from `<PREFIX>_ACCESS_KEY`.
    pub env_suffix: &'static str,
    /// Whether the value is a secret (signs requests; never printed).
    pub secret: bool,
    /// The sandbox's public test value.
    pub sandbox: &'static str,
    /// A placeholder for documentation (`your-access-key`).
    pub placeholder: &'static str,
}

/// A kind of credentials (spec: `x-sourcing.credentials`): the fields a signing scheme signs with. Data, so
/// a new kind is a new `static`, not a new variant that every tool must learn.
#[derive(Debug)]
pub struct CredentialKind {
    /// The spec's `x-sourcing.credentials` value (`access-key`).
    pub name: &'static str,
    /// The fields, in the order of [`CredentialValues`].
    pub fields: &'static [CredentialField],
    /// The Rust type of typed credentials of this kind (it converts into [`CredentialValues`]); generated
    /// crates re-export it and show it in their docs. For kinds outside the runtime, a path.
    pub rust_type: &'static str,
    /// Further items of the runtime's root a generated crate re-exports with these credentials.
    pub reexports: &'static [&'static str],
}

/// `access-key`: access key, access secret, `user-id` (PandaPon, Xportcn).
pub(crate) const ACCESS_KEY: CredentialKind = CredentialKind {
    name: "access-key",
    fields: &[
        CredentialField {
            env_suffix: "ACCESS_KEY",
            secret: false,
            sandbox: "sandbox-access-key",
            placeholder: "your-access-key",
        },
        CredentialField {
            env_suffix: "ACCESS_SECRET",
            secret: true,
            sandbox: "sandbox-access-secret",
            placeholder: "your-access-secret",
        },
        CredentialField {
            env_suffix: "USER_ID",
            secret: false,
            sandbox: "2100007341207",
            placeholder: "your-user-id",
        },
    ],
    rust_type: "AccessKeyCredentials",
    reexports: &["AccessKeyCredentials"],
};

/// `app-key`: app key and app secret (Dajisaas).
pub(crate) const APP_KEY: CredentialKind = CredentialKind {
    name: "app-key",
    fields: &[
        CredentialField {
            env_suffix: "APP_KEY",
            secret: false,
            sandbox: "sandbox-app-key",
            placeholder: "your-app-key",
        },
        CredentialField {
            env_suffix: "APP_SECRET",
            secret: true,
            sandbox: "sandbox-app-secret",
            placeholder: "your-app-secret",
        },
    ],
    rust_type: "AppKeyCredentials",
    reexports: &["AppKeyCredentials", "AppKeyMode", "AppKeySigner"],
};

impl CredentialKind {
    /// The environment variables of these credentials for a provider's `env_prefix`, in field order.
    pub fn env_vars(&self, env_prefix: &str) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| format!("{env_prefix}_{}", f.env_suffix))
            .collect()
    }

    /// The environment variable of the first secret field (`PANDAPON_ACCESS_SECRET`); also the key Dajisaas
    /// signs its callbacks with.
    pub fn secret_env_var(&self, env_prefix: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.secret)
            .map(|f| format!("{env_prefix}_{}", f.env_suffix))
    }

    /// The sandbox's test values.
    pub fn sandbox_values(&self) -> CredentialValues {
        CredentialValues::new(self.fields.iter().map(|f| f.sandbox))
    }

    /// The values from the environment (`<PREFIX>_<SUFFIX>` per field).
    pub fn from_env(&self, env_prefix: &str) -> Result<CredentialValues, MissingEnv> {
        self.fields
            .iter()
            .map(|f| env_var(env_prefix, f.env_suffix))
            .collect::<Result<Vec<_>, _>>()
            .map(CredentialValues::new)
    }
}

/// Credential values of some kind, in its field order, untyped: what tools that serve every provider (the
/// CLI, the sandbox) hand to a signing scheme. Every value is kept as a [`Secret`]: `Debug` shows none.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialValues(Vec<Secret>);

impl CredentialValues {
    /// Values in field order.
    pub fn new<S: Into<Secret>>(values: impl IntoIterator<Item = S>) -> Self {
        Self(values.into_iter().map(Into::into).collect())
    }

    /// The value of field `index`.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.0.get(index).map(Secret::expose)
    }

    /// How many values there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Exactly `N` values, or an error naming the kind.
    pub fn exactly<const N: usize>(&self, kind: &CredentialKind) -> Result<[&str; N], String> {
        let all: Vec<&str> = self.0.iter().map(Secret::expose).collect();
        let n = all.len();
        all.try_into()
            .map_err(|_| format!("{} credentials have {N} values, got {n}", kind.name))
    }
}

impl fmt::Debug for CredentialValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialValues(<{} redacted>)", self.0.len())
    }
}

impl From<AccessKeyCredentials> for CredentialValues {
    fn from(c: AccessKeyCredentials) -> Self {
        Self(vec![c.access_key.into(), c.access_secret, c.user_id.into()])
    }
}

impl From<AppKeyCredentials> for CredentialValues {
    fn from(c: AppKeyCredentials) -> Self {
        Self(vec![c.app_key.into(), c.app_secret])
    }
}

/// An environment variable needed for credentials is not set (the message names it, never its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {0} is not set")]
pub struct MissingEnv(pub String);

fn env_var(prefix: &str, name: &str) -> Result<String, MissingEnv> {
    let key = format!("{prefix}_{name}");
    std::env::var(&key).map_err(|_| MissingEnv(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted_everywhere() {
        let c = AccessKeyCredentials::new("ak", "super-secret-value", "42");
        let shown = format!("{c:?} {} {:?}", c.access_secret, c.access_secret);
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("ak"));
        let d = AppKeyCredentials::new("key", "app-secret-value");
        assert!(!format!("{d:?}").contains("app-secret-value"));
        let values = CredentialValues::from(d);
        assert!(!format!("{values:?}").contains("key"));
        assert_eq!(
            values.exactly::<2>(&APP_KEY).unwrap(),
            ["key", "app-secret-value"]
        );
        assert!(
            values
                .exactly::<3>(&ACCESS_KEY)
                .unwrap_err()
                .contains("access-key")
        );
        assert_eq!(ACCESS_KEY.env_vars("XPORTCN")[2], "XPORTCN_USER_ID");
        assert_eq!(
            APP_KEY.secret_env_var("DAJISAAS").as_deref(),
            Some("DAJISAAS_APP_SECRET")
        );
    }
}
