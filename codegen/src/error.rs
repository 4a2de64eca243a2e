//! Errors of code generation. Each names the spec file, where in it (a JSON pointer or a line), and why.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenError {
    pub file: PathBuf,
    /// JSON pointer (`/paths/~1a~1b/get`), `line N column M`, or empty for the whole file.
    pub location: String,
    pub message: String,
}

impl CodegenError {
    pub fn new(
        file: impl Into<PathBuf>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if !self.location.is_empty() {
            write!(f, " at {}", self.location)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for CodegenError {}

/// Escape one JSON-pointer segment (RFC 6901).
pub fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `/a/b~1c` from segments.
pub fn pointer<I: IntoIterator<Item = S>, S: AsRef<str>>(segments: I) -> String {
    segments
        .into_iter()
        .map(|s| format!("/{}", pointer_segment(s.as_ref())))
        .collect()
}
