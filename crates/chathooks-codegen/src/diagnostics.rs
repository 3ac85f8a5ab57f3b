//! Problems found while generating, each naming the operation and the spec
//! location, and whether the construct was adapted or skipped.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The spec was adapted (renamed, dropped an invalid enum value, ...);
    /// everything was still generated.
    Adapted,
    /// An operation was left out of one of the generated crates.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub severity: Severity,
    /// JSON pointer into the spec, e.g. `/paths/~1hooks~1{id}/post/requestBody`.
    pub location: String,
    /// The operation concerned, if any.
    pub operation: Option<String>,
    /// Which output is affected: `types`, `server`, `client` or `spec`.
    pub target: &'static str,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.severity {
            Severity::Adapted => "adapted",
            Severity::Skipped => "skipped",
        };
        write!(f, "{what} ({})", self.target)?;
        if let Some(op) = &self.operation {
            write!(f, " {op}")?;
        }
        write!(f, " at #{}: {}", self.location, self.message)
    }
}

/// Escape one JSON pointer segment.
pub fn pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

pub fn pointer(segments: &[&str]) -> String {
    segments.iter().map(|s| format!("/{}", pointer_segment(s))).collect()
}
