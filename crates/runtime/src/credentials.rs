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
    }
}
