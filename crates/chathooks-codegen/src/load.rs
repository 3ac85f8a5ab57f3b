//! The one place YAML is read. `serde_yaml` is deprecated upstream; swapping
//! it for a maintained fork touches this file only.

use std::path::Path;

use serde_json::Value;

use crate::Error;

/// Read a spec (YAML or JSON) into a JSON value, which every later pass
/// works on.
pub fn load_value(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_value(&text).map_err(|message| Error::Spec {
        path: path.to_owned(),
        message,
    })
}

/// Parse YAML (a superset of JSON) text into a JSON value.
pub fn parse_value(text: &str) -> Result<Value, String> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    serde_json::to_value(yaml).map_err(|e| format!("not representable as JSON: {e}"))
}
