//! Validation against the spec's schemas, with the `jsonschema` crate.
//!
//! The generator converts the spec's OpenAPI 3.0 schemas to draft-4 JSON
//! Schema (`nullable` folded into `type`, references into `#/definitions/`),
//! and emits them as one document per API plus one small schema per
//! parameter and body. Validators are compiled on first use.

use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::error::{Location, ValidationIssue};

/// The shared `definitions` of one API.
pub struct Schemas {
    definitions: Value,
}

impl Schemas {
    /// `definitions` is the JSON text of an object mapping schema names to schemas.
    pub fn new(definitions: &str) -> Self {
        let definitions = serde_json::from_str(definitions).unwrap_or_else(|error| {
            tracing::error!(%error, "generated schema definitions are not JSON; validation is limited");
            Value::Object(Default::default())
        });
        Self { definitions }
    }

    /// Compile one schema (JSON text). A schema the validator cannot compile
    /// (an unsupported regex, say) is logged and skipped rather than failing
    /// every request: typed deserialization still guards the implementation.
    pub(crate) fn compile(&self, schema: &str) -> Option<Validator> {
        let mut root: Value = serde_json::from_str(schema).ok()?;
        if !root.is_object() {
            return None;
        }
        root["definitions"] = self.definitions.clone();
        match jsonschema::options()
            .with_draft(Draft::Draft4)
            .should_validate_formats(false)
            .build(&root)
        {
            Ok(validator) => Some(validator),
            Err(error) => {
                tracing::warn!(%error, schema, "schema could not be compiled; skipping its validation");
                None
            }
        }
    }
}

pub(crate) fn check(
    validator: &Validator,
    value: &Value,
    location: Location,
    name: &str,
    issues: &mut Vec<ValidationIssue>,
) {
    // Nearly every request is valid: `is_valid` answers that without building
    // the errors' iterator; only an invalid value is walked again for them.
    if validator.is_valid(value) {
        return;
    }
    for error in validator.iter_errors(value) {
        let property = match error.kind() {
            jsonschema::error::ValidationErrorKind::Required { property } => Some(
                property
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| property.to_string()),
            ),
            _ => None,
        };
        issues.push(ValidationIssue {
            location,
            name: name.to_owned(),
            pointer: error.instance_path().to_string(),
            keyword: error.kind().keyword().to_owned(),
            property,
            message: error.to_string(),
        });
    }
}
