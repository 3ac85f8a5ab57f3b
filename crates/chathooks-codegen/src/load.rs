//! The one place spec text is parsed. JSON files are read as JSON: YAML is
//! a superset of JSON only in theory, and `serde_yaml` refuses the
//! `\ud83d\ude00`-style surrogate escapes JSON allows. `serde_yaml` is
//! deprecated upstream; swapping it for a maintained fork touches this file
//! only.

use std::path::Path;

use serde_json::Value;

use crate::Error;

/// Read a spec (YAML or JSON) into a JSON value, which every later pass
/// works on. A `.json` file is parsed as JSON; anything else as YAML,
/// unless its text looks like JSON and parses as such.
pub fn load_value(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let json = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let parsed = if json { parse_json(&text) } else { parse_value(&text) };
    parsed.map_err(|message| Error::Spec {
        path: path.to_owned(),
        message,
    })
}

/// Parse JSON text.
pub fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))
}

/// Parse text of unknown kind: text that starts like a JSON object or
/// array is tried as JSON first, then everything as YAML.
pub fn parse_value(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str(trimmed)
    {
        return Ok(value);
    }
    parse_yaml(text)
}

/// Parse YAML text.
pub fn parse_yaml(text: &str) -> Result<Value, String> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    serde_json::to_value(yaml).map_err(|e| format!("not representable as JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_surrogate_escapes_are_read() {
        let text = r#"{"openapi": "3.0.3", "info": {"title": "\ud83d\ude00 chat", "version": "1"}}"#;
        assert!(parse_yaml(text).is_err(), "YAML refuses surrogate escapes");
        for value in [parse_json(text).unwrap(), parse_value(text).unwrap()] {
            assert_eq!(value["info"]["title"], "\u{1F600} chat");
        }
    }

    #[test]
    fn yaml_is_still_yaml() {
        assert_eq!(parse_value("a: 1\nb: [x]\n").unwrap()["b"][0], "x");
        // Flow-style YAML that is not JSON falls through to YAML.
        assert_eq!(parse_value("{a: 1}").unwrap()["a"], 1);
    }
}
