//! OpenAPI 3.0 schemas to draft-4 JSON Schema, the dialect OpenAPI 3.0's
//! schema object extends, for validation at run time by generated servers.

use serde_json::{Map, Value, json};

use crate::normalize::schema_ref_name;

/// Convert one schema. References become `#/definitions/{Name}`.
pub fn convert(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return json!({});
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        return match schema_ref_name(reference) {
            Some(name) => json!({ "$ref": format!("#/definitions/{}", name.replace('~', "~0").replace('/', "~1")) }),
            None => json!({}),
        };
    }
    let mut out = Map::new();
    for (key, value) in object {
        let converted = match key.as_str() {
            "nullable" | "discriminator" | "xml" | "externalDocs" | "example" | "examples" | "deprecated"
            | "readOnly" | "writeOnly" | "title" | "description" => continue,
            k if k.starts_with("x-") => continue,
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, child)| (name.clone(), convert(child)))
                    .collect(),
            ),
            "items" | "not" => convert(value),
            "additionalProperties" if value.is_object() => convert(value),
            "oneOf" | "anyOf" | "allOf" => Value::Array(value.as_array().into_iter().flatten().map(convert).collect()),
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(Value::String(ty)) = out.get("type").cloned() {
            out.insert("type".into(), json!([ty, "null"]));
        }
        if let Some(Value::Array(values)) = out.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
    Value::Object(out)
}

/// All component schemas, converted, as the shared `definitions` object.
pub fn definitions(spec: &Value) -> Value {
    Value::Object(
        spec["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name.clone(), convert(schema)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_and_refs_are_translated() {
        let schema = json!({
            "type": "object",
            "nullable": true,
            "properties": {
                "kind": { "type": "string", "enum": ["a", "b"], "nullable": true },
                "owner": { "$ref": "#/components/schemas/User" }
            },
            "example": { "kind": "a" }
        });
        assert_eq!(
            convert(&schema),
            json!({
                "type": ["object", "null"],
                "properties": {
                    "kind": { "type": ["string", "null"], "enum": ["a", "b", null] },
                    "owner": { "$ref": "#/definitions/User" }
                }
            })
        );
    }
}
