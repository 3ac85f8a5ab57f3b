//! The OpenAPI version check, and OpenAPI 3.1 brought down to the 3.0.3 the
//! rest of the pipeline (and openapiv3, progenitor, typify) reads.
//!
//! 3.1 schemas are JSON Schema 2020-12; what 3.0 cannot say is rewritten into
//! what it can, each as a class:
//!
//! * `type` arrays: `"null"` becomes `nullable: true`; one other type stays
//!   the type; several other types leave the schema untyped (any value);
//! * `const` becomes a one-value `enum`;
//! * `examples` arrays become `example` (the first);
//! * numeric `exclusiveMinimum`/`exclusiveMaximum` become `minimum`/`maximum`
//!   with the boolean flag;
//! * `$ref` with siblings: annotations (`description`, ...) are dropped, other
//!   keywords keep their meaning through `allOf: [{$ref}]` next to them;
//! * `contentEncoding: base64` becomes `format: byte`;
//! * `$schema`, `$id`, `$comment` and friends are dropped;
//! * `jsonSchemaDialect`, top-level `webhooks`, `components/pathItems`,
//!   `info/summary` and `license/identifier` are reported and ignored.
//!
//! Swagger 2.0 is refused with a message saying how to convert it.

use serde_json::{Map, Value, json};

use crate::diagnostics::{Diagnostic, Severity, pointer_segment};

/// Check the version and bring a 3.1 document down to 3.0.3, in place.
pub fn to_openapi_30(spec: &mut Value) -> Result<Vec<Diagnostic>, String> {
    if let Some(version) = spec.get("swagger") {
        let version = version.as_str().map_or_else(|| version.to_string(), str::to_owned);
        return Err(format!(
            "this is a Swagger {version} (OpenAPI 2) document; the generator reads OpenAPI 3.0 and 3.1. \
             Convert it first, e.g. with `npx swagger2openapi SPEC -o SPEC3.yaml` \
             (https://github.com/Mermade/oas-kit) or editor.swagger.io's Edit > Convert to OpenAPI 3"
        ));
    }
    let version = match spec.get("openapi") {
        Some(Value::String(version)) => version.clone(),
        Some(other) => return Err(format!("`openapi` must be a version string, found {other}")),
        None => return Err("no `openapi` version field: not an OpenAPI 3 document".into()),
    };
    if version.starts_with("3.0.") {
        return Ok(Vec::new());
    }
    if !version.starts_with("3.1.") {
        return Err(format!(
            "OpenAPI version {version} is not supported; the generator reads 3.0.x and 3.1.x"
        ));
    }
    let mut diagnostics = Vec::new();
    let mut report = |location: String, message: String| {
        diagnostics.push(Diagnostic {
            severity: Severity::Adapted,
            location,
            operation: None,
            target: "spec",
            message,
        });
    };
    report(
        "/openapi".into(),
        format!("OpenAPI {version} is read as 3.0.3 (3.1 constructs rewritten)"),
    );
    let Some(root) = spec.as_object_mut() else {
        return Err("the document is not an object".into());
    };
    if let Some(dialect) = root.remove("jsonSchemaDialect") {
        report(
            "/jsonSchemaDialect".into(),
            format!("jsonSchemaDialect {dialect} ignored: schemas are read as OpenAPI 3.1's default dialect"),
        );
    }
    if let Some(webhooks) = root.remove("webhooks") {
        let names: Vec<String> = webhooks
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| format!("`{name}`"))
            .collect();
        report(
            "/webhooks".into(),
            format!(
                "webhooks ({}) are not generated: they describe calls the API makes, not operations it serves",
                names.join(", ")
            ),
        );
    }
    if let Some(Value::Object(components)) = root.get_mut("components")
        && components.remove("pathItems").is_some()
    {
        report(
            "/components/pathItems".into(),
            "components/pathItems ignored (references to them are not followed)".into(),
        );
    }
    if let Some(Value::Object(info)) = root.get_mut("info") {
        info.remove("summary");
        if let Some(Value::Object(license)) = info.get_mut("license") {
            license.remove("identifier");
        }
    }
    if !root.get("paths").is_some_and(Value::is_object) {
        root.insert("paths".into(), json!({}));
    }
    root.insert("openapi".into(), json!("3.0.3"));
    let mut counts = Counts::default();
    for (key, value) in root.iter_mut() {
        if matches!(key.as_str(), "paths" | "components") {
            walk(value, &format!("/{key}"), true, &mut counts);
        }
    }
    for (what, count, first) in [
        (
            "`type` arrays rewritten (null as nullable)",
            counts.type_arrays,
            &counts.first_type_array,
        ),
        (
            "`const` rewritten as a one-value enum",
            counts.consts,
            &counts.first_const,
        ),
        (
            "`examples` arrays rewritten as `example`",
            counts.examples,
            &counts.first_examples,
        ),
        (
            "numeric exclusiveMinimum/exclusiveMaximum rewritten as 3.0 bounds",
            counts.exclusive,
            &counts.first_exclusive,
        ),
        (
            "`$ref` siblings rewritten (allOf) or dropped (annotations)",
            counts.ref_siblings,
            &counts.first_ref_sibling,
        ),
        (
            "schemas with several types left untyped (any value)",
            counts.multi_types,
            &counts.first_multi_type,
        ),
    ] {
        if count > 0 {
            report(first.clone(), format!("{what}: {count} schema(s), the first here"));
        }
    }
    Ok(diagnostics)
}

#[derive(Default)]
struct Counts {
    type_arrays: usize,
    first_type_array: String,
    consts: usize,
    first_const: String,
    examples: usize,
    first_examples: String,
    exclusive: usize,
    first_exclusive: String,
    ref_siblings: usize,
    first_ref_sibling: String,
    multi_types: usize,
    first_multi_type: String,
}

fn count(counter: &mut usize, first: &mut String, location: &str) {
    if *counter == 0 {
        *first = location.to_owned();
    }
    *counter += 1;
}

/// Keys whose values are maps of named entries (each entry walked), not
/// objects to rewrite themselves.
const CONTAINERS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "paths",
    "components",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "content",
    "encoding",
    "callbacks",
    "securitySchemes",
    "links",
];

/// Keys whose values are data (or extensions), never to be rewritten.
fn is_data(key: &str) -> bool {
    matches!(key, "example" | "examples" | "default" | "enum" | "const") || key.starts_with("x-")
}

fn walk(value: &mut Value, location: &str, container: bool, counts: &mut Counts) {
    match value {
        Value::Object(map) => {
            if !container {
                rewrite(map, location, counts);
            }
            for (key, child) in map.iter_mut() {
                let child_location = format!("{location}/{}", pointer_segment(key));
                if container {
                    walk(child, &child_location, false, counts);
                } else if !is_data(key) {
                    walk(child, &child_location, CONTAINERS.contains(&key.as_str()), counts);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                walk(item, &format!("{location}/{index}"), false, counts);
            }
        }
        _ => {}
    }
}

const ANNOTATIONS: &[&str] = &[
    "description",
    "summary",
    "title",
    "deprecated",
    "readOnly",
    "writeOnly",
    "example",
    "examples",
    "$comment",
];

/// Rewrite one object (a schema, or anything else that has none of these
/// keywords, which then stays as it is).
fn rewrite(map: &mut Map<String, Value>, location: &str, counts: &mut Counts) {
    for key in ["$schema", "$id", "$anchor", "$dynamicAnchor", "$comment", "$vocabulary"] {
        map.remove(key);
    }
    if map.contains_key("$ref") && map.len() > 1 {
        count(&mut counts.ref_siblings, &mut counts.first_ref_sibling, location);
        let reference = map.remove("$ref").unwrap_or_default();
        map.retain(|key, _| !ANNOTATIONS.contains(&key.as_str()));
        if map.is_empty() {
            map.insert("$ref".into(), reference);
        } else {
            let mut members = vec![json!({ "$ref": reference })];
            if let Some(Value::Array(existing)) = map.remove("allOf") {
                members.extend(existing);
            }
            map.insert("allOf".into(), Value::Array(members));
        }
    }
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        count(&mut counts.type_arrays, &mut counts.first_type_array, location);
        let nullable = types.iter().any(|t| t == "null");
        let others: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        map.remove("type");
        match others.as_slice() {
            [] => {}
            [one] => {
                map.insert("type".into(), one.clone());
            }
            _ => count(&mut counts.multi_types, &mut counts.first_multi_type, location),
        }
        if nullable {
            map.insert("nullable".into(), json!(true));
        }
    } else if map.get("type") == Some(&json!("null")) {
        count(&mut counts.type_arrays, &mut counts.first_type_array, location);
        map.remove("type");
        map.insert("nullable".into(), json!(true));
    }
    if let Some(value) = map.remove("const") {
        count(&mut counts.consts, &mut counts.first_const, location);
        if !map.contains_key("enum") {
            map.insert("enum".into(), json!([value]));
        }
    }
    if let Some(Value::Array(examples)) = map.get("examples").cloned() {
        count(&mut counts.examples, &mut counts.first_examples, location);
        map.remove("examples");
        if let Some(first) = examples.into_iter().next()
            && !map.contains_key("example")
        {
            map.insert("example".into(), first);
        }
    }
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(Value::Number(limit)) = map.get(exclusive).cloned() {
            count(&mut counts.exclusive, &mut counts.first_exclusive, location);
            map.insert(bound.into(), Value::Number(limit));
            map.insert(exclusive.into(), json!(true));
        }
    }
    if map.get("contentEncoding") == Some(&json!("base64")) && !map.contains_key("format") {
        map.insert("format".into(), json!("byte"));
    }
    map.remove("contentEncoding");
    map.remove("contentMediaType");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swagger_2_is_refused_with_a_way_out() {
        let error = to_openapi_30(&mut json!({ "swagger": "2.0", "paths": {} })).unwrap_err();
        assert!(
            error.contains("Swagger 2.0") && error.contains("swagger2openapi"),
            "{error}"
        );
    }

    #[test]
    fn schema_keywords_are_rewritten_but_data_is_not() {
        let mut spec = json!({
            "openapi": "3.1.0",
            "webhooks": { "newPost": {} },
            "components": { "schemas": {
                "A": {
                    "type": ["string", "null"],
                    "const": "x",
                    "examples": ["x"],
                    "properties": { "const": { "type": "integer", "exclusiveMinimum": 0 } },
                    "default": { "type": ["kept"] }
                },
                "B": { "$ref": "#/components/schemas/A", "description": "d", "nullable": true }
            } }
        });
        let diagnostics = to_openapi_30(&mut spec).unwrap();
        assert_eq!(spec["openapi"], "3.0.3");
        assert!(spec.get("webhooks").is_none());
        let a = &spec["components"]["schemas"]["A"];
        assert_eq!(a["type"], "string");
        assert_eq!(a["nullable"], true);
        assert_eq!(a["enum"], json!(["x"]));
        assert_eq!(a["example"], "x");
        assert_eq!(
            a["properties"]["const"],
            json!({ "type": "integer", "minimum": 0, "exclusiveMinimum": true })
        );
        assert_eq!(a["default"], json!({ "type": ["kept"] }));
        let b = &spec["components"]["schemas"]["B"];
        assert_eq!(
            b,
            &json!({ "nullable": true, "allOf": [{ "$ref": "#/components/schemas/A" }] })
        );
        assert!(diagnostics.iter().any(|d| d.message.contains("newPost")));
    }
}
