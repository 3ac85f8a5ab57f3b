//! Rewrites a spec, as a JSON value, into the shape every emitter relies on.
//!
//! Real specs break code generators in a handful of recurring ways; each is
//! solved here once, as a class, for every emitter at the same time:
//!
//! * **Names.** Component schemas are renamed to unique `PascalCase` Rust
//!   identifiers (references rewritten), so no two types can collide after
//!   case conversion.
//! * **Hoisting.** Every inline schema that becomes a named Rust type (objects
//!   with properties, enums, unions, constrained strings) is moved into
//!   `components/schemas` under a predictable name: `{OperationId}Body`,
//!   `{OperationId}Response`, `{OperationId}{Param}`, `{Parent}{Property}`,
//!   `{Parent}Item`, `{Parent}Value`, `{Parent}Variant{N}`. Nothing downstream
//!   ever invents a name, so an inline type can never collide with a component.
//! * **Operation ids.** Missing ids are derived from method and path;
//!   duplicates are made unique.
//! * **Shared components.** Referenced parameters, request bodies and
//!   responses are inlined into each operation (their schemas hoisted first,
//!   so the copies share one type).
//! * **Invalid enums.** Enum values that do not match the declared type are
//!   dropped.
//! * **Untyped schemas.** A schema with `properties` but no `type` is an object.
//!
//! Each adaptation is reported as a [`Diagnostic`].

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::diagnostics::{Diagnostic, Severity, pointer, pointer_segment};
use crate::names::{NameSet, field_name, is_type_name, pascal, snake};

pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const SCHEMA_PREFIX: &str = "#/components/schemas/";

pub struct Normalized {
    pub spec: Value,
    pub diagnostics: Vec<Diagnostic>,
    /// Component schemas whose property names collide once turned into Rust
    /// field names; emitted by our own struct emitter.
    pub colliding_objects: BTreeSet<String>,
}

pub fn normalize(mut spec: Value) -> Normalized {
    let mut diagnostics = Vec::new();
    if !spec.is_object() {
        spec = json!({});
    }
    ensure_object(&mut spec, "components");
    ensure_object(&mut spec["components"], "schemas");
    ensure_object(&mut spec, "paths");

    inline_deep_schema_refs(&mut spec);
    let mut names = rename_components(&mut spec, &mut diagnostics);
    hoist_shared_components(&mut spec, &mut names);
    inline_component_refs(&mut spec, &mut diagnostics);
    express_paths(&mut spec, &mut diagnostics);
    let mut simplify = |schema: &mut Value, location: &str| simplify_schema(schema, location, &mut diagnostics);
    for_each_schema(&mut spec, &mut simplify);
    fix_operation_ids(&mut spec, &mut diagnostics);
    hoist_operation_schemas(&mut spec, &mut names);
    match_template_params(&mut spec, &mut diagnostics);
    hoist_nested_schemas(&mut spec, &mut names);
    let mut walk = |schema: &mut Value, location: &str| sanitize_schema(schema, location, &mut diagnostics);
    for_each_schema(&mut spec, &mut walk);
    let colliding_objects = find_colliding_objects(&mut spec, &mut diagnostics);

    Normalized {
        spec,
        diagnostics,
        colliding_objects,
    }
}

fn ensure_object(value: &mut Value, key: &str) {
    if !value.get(key).is_some_and(Value::is_object) {
        value[key] = Value::Object(Map::new());
    }
}

/// Decode `#/components/schemas/Name` into `Name`, if the reference is exactly that.
pub fn schema_ref_name(reference: &str) -> Option<String> {
    let rest = reference.strip_prefix(SCHEMA_PREFIX)?;
    if rest.contains('/') {
        return None;
    }
    Some(rest.replace("~1", "/").replace("~0", "~"))
}

pub fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMA_PREFIX}{}", pointer_segment(name)) })
}

/// The component schemas `value` refers to (`#/components/schemas/...`),
/// appended to `out` in document order.
pub fn refs_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(reference)) => out.extend(schema_ref_name(reference)),
                    (_, child) => refs_in(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs_in(item, out)),
        _ => {}
    }
}

/// Visit every `$ref` string in the document.
fn for_each_ref(value: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("$ref", Value::String(reference)) => f(reference),
                    (_, child) => for_each_ref(child, f),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| for_each_ref(item, f)),
        _ => {}
    }
}

/// Resolve a local reference (`#/...`) in `root`.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

/// References that point inside a component schema (`.../X/properties/y`)
/// are replaced by a copy of their target, so every remaining schema
/// reference names a whole component.
fn inline_deep_schema_refs(spec: &mut Value) {
    for _ in 0..8 {
        let snapshot = spec.clone();
        let mut changed = false;
        replace_refs(spec, &mut |reference| {
            let rest = reference.strip_prefix(SCHEMA_PREFIX)?;
            if !rest.contains('/') {
                return None;
            }
            changed = true;
            Some(resolve(&snapshot, reference).cloned().unwrap_or_else(|| json!({})))
        });
        if !changed {
            break;
        }
    }
}

/// Replace `{"$ref": r}` objects with `f(r)` where it returns a value.
fn replace_refs(value: &mut Value, f: &mut dyn FnMut(&str) -> Option<Value>) {
    if let Some(Value::String(reference)) = value.get("$ref")
        && let Some(replacement) = f(&reference.clone())
    {
        *value = replacement;
        return;
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(|child| replace_refs(child, f)),
        Value::Array(items) => items.iter_mut().for_each(|child| replace_refs(child, f)),
        _ => {}
    }
}

/// Rename component schemas to unique PascalCase identifiers and rewrite
/// every reference. Returns the set of names in use.
fn rename_components(spec: &mut Value, diagnostics: &mut Vec<Diagnostic>) -> NameSet {
    let schemas = std::mem::take(spec["components"]["schemas"].as_object_mut().expect("ensured above"));
    let mut names = NameSet::default();
    // Names that are already what Rust would call them keep them; the others
    // are converted, and numbered where the converted name is taken.
    for name in schemas.keys() {
        if is_type_name(name) {
            names.reserve(name);
        }
    }
    let mut renamed = Map::new();
    let mut mapping = std::collections::HashMap::new();
    for (name, schema) in schemas {
        let new_name = if is_type_name(&name) {
            name.clone()
        } else {
            names.unique_type(&name)
        };
        if new_name != name {
            diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: pointer(&["components", "schemas", &name]),
                operation: None,
                target: "types",
                message: format!("schema `{name}` is named `{new_name}` in Rust"),
            });
        }
        mapping.insert(name, new_name.clone());
        renamed.insert(new_name, schema);
    }
    spec["components"]["schemas"] = Value::Object(renamed);
    for_each_ref(spec, &mut |reference| {
        if let Some(name) = schema_ref_name(reference)
            && let Some(new_name) = mapping.get(&name)
        {
            *reference = format!("{SCHEMA_PREFIX}{}", pointer_segment(new_name));
        }
    });
    names
}

/// True if typify would turn this inline schema into a named type of its own.
pub fn needs_name(schema: &Value) -> bool {
    let Some(object) = schema.as_object() else {
        return false;
    };
    if object.contains_key("$ref") {
        return false;
    }
    let non_empty = |key: &str| match object.get(key) {
        Some(Value::Object(map)) => !map.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
        None => false,
    };
    non_empty("enum")
        || non_empty("oneOf")
        || non_empty("anyOf")
        || non_empty("allOf")
        || object.contains_key("not")
        || non_empty("properties")
        || object.get("additionalProperties") == Some(&Value::Bool(false))
        || (non_empty("required") && !object.contains_key("items"))
        || object.contains_key("pattern")
        || object.contains_key("minLength")
        || object.contains_key("maxLength")
}

/// Move `schema` into components under a unique name derived from `base`,
/// leaving a reference in its place.
fn hoist(schema: &mut Value, base: &str, names: &mut NameSet, out: &mut Vec<(String, Value)>) {
    let name = names.unique_type(base);
    let taken = std::mem::replace(schema, schema_ref(&name));
    out.push((name, taken));
}

/// Hoist nested inline schemas of `schema` (but not `schema` itself).
fn hoist_within(schema: &mut Value, parent: &str, names: &mut NameSet, out: &mut Vec<(String, Value)>) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if object.contains_key("$ref") {
        return;
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (property, child) in properties.iter_mut() {
            let base = format!("{parent}{}", pascal(property));
            hoist_or_descend(child, &base, names, out);
        }
    }
    if let Some(items) = object.get_mut("items") {
        hoist_or_descend(items, &format!("{parent}Item"), names, out);
    }
    if let Some(additional) = object.get_mut("additionalProperties")
        && additional.is_object()
    {
        hoist_or_descend(additional, &format!("{parent}Value"), names, out);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = object.get_mut(key) {
            for (index, member) in members.iter_mut().enumerate() {
                hoist_or_descend(member, &format!("{parent}Variant{index}"), names, out);
            }
        }
    }
    if let Some(Value::Array(members)) = object.get_mut("allOf") {
        // typify merges allOf members into one type: keep them inline, but
        // name what they contain after the parent.
        for member in members.iter_mut() {
            hoist_within(member, parent, names, out);
        }
    }
    if let Some(not) = object.get_mut("not") {
        hoist_within(not, parent, names, out);
    }
}

fn hoist_or_descend(schema: &mut Value, base: &str, names: &mut NameSet, out: &mut Vec<(String, Value)>) {
    if needs_name(schema) {
        hoist(schema, base, names, out);
    } else {
        hoist_within(schema, base, names, out);
    }
}

fn insert_components(spec: &mut Value, hoisted: Vec<(String, Value)>) {
    let schemas = spec["components"]["schemas"].as_object_mut().expect("ensured above");
    for (name, schema) in hoisted {
        schemas.insert(name, schema);
    }
}

/// Schemas inside `components/responses`, `requestBodies` and `parameters`
/// become components, so that inlining those into operations shares types.
fn hoist_shared_components(spec: &mut Value, names: &mut NameSet) {
    let mut hoisted = Vec::new();
    let components = &mut spec["components"];
    for (section, suffix) in [("responses", "Response"), ("requestBodies", "Body")] {
        if let Some(Value::Object(entries)) = components.get_mut(section) {
            for (name, entry) in entries.iter_mut() {
                hoist_content(entry, &format!("{}{suffix}", pascal(name)), true, names, &mut hoisted);
            }
        }
    }
    if let Some(Value::Object(entries)) = components.get_mut("parameters") {
        for (name, entry) in entries.iter_mut() {
            if let Some(schema) = entry.get_mut("schema") {
                hoist_or_descend(schema, &format!("{}Param", pascal(name)), names, &mut hoisted);
            }
        }
    }
    insert_components(spec, hoisted);
}

/// Hoist the schemas of a request body or response's `content`. `first` picks
/// the plain name for the first structured media type; further media types
/// get their kind in the name.
fn hoist_content(
    entry: &mut Value,
    base: &str,
    plain_first: bool,
    names: &mut NameSet,
    out: &mut Vec<(String, Value)>,
) {
    let Some(Value::Object(content)) = entry.get_mut("content") else {
        return;
    };
    let mut plain_used = !plain_first;
    for (media_type, media) in content.iter_mut() {
        let Some(schema) = media.get_mut("schema") else {
            continue;
        };
        if !is_structured_media(media_type) {
            continue;
        }
        let name = if plain_used {
            insert_kind(base, media_type)
        } else {
            plain_used = true;
            base.to_owned()
        };
        hoist_or_descend(schema, &name, names, out);
    }
}

fn insert_kind(base: &str, media_type: &str) -> String {
    let kind = match media_kind_name(media_type) {
        "Json" => pascal(media_type.split('/').nth(1).unwrap_or("json")),
        other => other.to_owned(),
    };
    // `CreateFooBody` + form -> `CreateFooFormBody`
    for suffix in ["Body", "Response"] {
        if let Some(stem) = base.strip_suffix(suffix) {
            return format!("{stem}{kind}{suffix}");
        }
    }
    format!("{base}{kind}")
}

/// Media types whose bodies are structured data with a schema that becomes a Rust type.
pub fn is_structured_media(media_type: &str) -> bool {
    matches!(media_kind_name(media_type), "Json" | "Form" | "Multipart")
}

pub fn media_kind_name(media_type: &str) -> &'static str {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        "Json"
    } else if essence == "application/x-www-form-urlencoded" {
        "Form"
    } else if essence == "multipart/form-data" {
        "Multipart"
    } else if essence.starts_with("text/") {
        "Text"
    } else {
        "Binary"
    }
}

/// Replace references to shared parameters, request bodies, responses and
/// headers with copies, so operations are self-contained.
fn inline_component_refs(spec: &mut Value, diagnostics: &mut Vec<Diagnostic>) {
    let components = spec["components"].clone();
    let root = json!({ "components": components });
    let mut paths = std::mem::take(&mut spec["paths"]);
    for _ in 0..8 {
        let mut changed = false;
        replace_refs(&mut paths, &mut |reference| {
            if reference.starts_with(SCHEMA_PREFIX) {
                return None;
            }
            changed = true;
            Some(resolve(&root, reference).cloned().unwrap_or_else(|| {
                diagnostics.push(Diagnostic {
                    severity: Severity::Adapted,
                    location: reference.trim_start_matches('#').to_owned(),
                    operation: None,
                    target: "spec",
                    message: format!("reference `{reference}` does not resolve; treated as empty"),
                });
                json!({})
            }))
        });
        if !changed {
            break;
        }
    }
    spec["paths"] = paths;
}

/// Express-style segments (`/things/:id`) become templates (`/things/{id}`).
/// A segment with no path parameter of that name declared gets one, a
/// string (reported). An operation whose templated path and method are
/// already taken keeps the path as written, which the server cannot route:
/// it reports and skips it.
fn express_paths(spec: &mut Value, diagnostics: &mut Vec<Diagnostic>) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let mut out = Map::new();
    for (path, mut item) in std::mem::take(paths) {
        let captures: Vec<&str> = path.split('/').filter_map(|s| s.strip_prefix(':')).collect();
        if captures.is_empty() || !item.is_object() {
            merge_path_item(&mut out, &path, item);
            continue;
        }
        let templated: String = path
            .split('/')
            .map(|segment| match segment.strip_prefix(':') {
                Some(name) => format!("{{{name}}}"),
                None => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let shared = item.get("parameters").cloned().unwrap_or(json!([]));
        let declares = |operation: &Value, name: &str| {
            operation
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(shared.as_array().into_iter().flatten())
                .any(|p| p["in"] == "path" && p["name"] == name)
        };
        let mut moved = Map::new();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            if out.get(&templated).and_then(|i| i.get(method)).is_some() {
                continue;
            }
            let undeclared: Vec<&str> = captures
                .iter()
                .copied()
                .filter(|name| !declares(operation, name))
                .collect();
            diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: pointer(&["paths", &path, method]),
                operation: operation.get("operationId").and_then(Value::as_str).map(str::to_owned),
                target: "spec",
                message: format!("Express-style path `{path}` is served as `{templated}`"),
            });
            let mut operation = item.as_object_mut().and_then(|i| i.remove(method)).unwrap_or_default();
            if !undeclared.is_empty() {
                // The segment says a value is captured there; with nothing
                // declared, the only type it can have is a string.
                diagnostics.push(Diagnostic {
                    severity: Severity::Adapted,
                    location: pointer(&["paths", &path, method]),
                    operation: operation.get("operationId").and_then(Value::as_str).map(str::to_owned),
                    target: "spec",
                    message: format!(
                        "Express-style segment(s) {} without a declared path parameter: served as string path parameter(s)",
                        undeclared.iter().map(|n| format!("`:{n}`")).collect::<Vec<_>>().join(", ")
                    ),
                });
                if let Some(object) = operation.as_object_mut() {
                    let parameters = object.entry("parameters").or_insert_with(|| json!([]));
                    if !parameters.is_array() {
                        *parameters = json!([]);
                    }
                    if let Some(parameters) = parameters.as_array_mut() {
                        for name in &undeclared {
                            parameters.push(json!({
                                "name": name,
                                "in": "path",
                                "required": true,
                                "schema": { "type": "string" },
                            }));
                        }
                    }
                }
            }
            moved.insert(method.to_owned(), operation);
        }
        if !moved.is_empty() {
            if let Some(parameters) = item.get("parameters") {
                moved.insert("parameters".into(), parameters.clone());
            }
            merge_path_item(&mut out, &templated, Value::Object(moved));
        }
        if item
            .as_object()
            .is_some_and(|i| i.keys().any(|k| METHODS.contains(&k.as_str())))
        {
            merge_path_item(&mut out, &path, item);
        }
    }
    *paths = out;
}

fn merge_path_item(out: &mut Map<String, Value>, path: &str, item: Value) {
    match (out.get_mut(path), item) {
        (Some(Value::Object(existing)), Value::Object(item)) => {
            for (key, value) in item {
                existing.entry(key).or_insert(value);
            }
        }
        (_, item) => {
            out.insert(path.to_owned(), item);
        }
    }
}

/// Iterate over `(path, method)` of every operation in document order.
pub fn operations(spec: &Value) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(Value::Object(paths)) = spec.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                if item.get(method).is_some_and(Value::is_object) {
                    out.push((path.clone(), method));
                }
            }
        }
    }
    out
}

fn fix_operation_ids(spec: &mut Value, diagnostics: &mut Vec<Diagnostic>) {
    let mut names = NameSet::default();
    let mut snakes = NameSet::default();
    for (path, method) in operations(spec) {
        let operation = &mut spec["paths"][&path][method];
        let location = pointer(&["paths", &path, method, "operationId"]);
        let original = operation.get("operationId").and_then(Value::as_str).map(str::to_owned);
        let base = original.clone().unwrap_or_else(|| format!("{method} {path}"));
        let mut id = base.clone();
        if !names.reserve(&pascal(&id)) || !snakes.reserve(&snake(&id)) {
            id = format!("{base} {method}");
            let unique = names.unique(&pascal(&id));
            snakes.reserve(&snake(&unique));
            id = unique;
        }
        let final_id = if original.is_none() { pascal(&id) } else { id.clone() };
        let message = match &original {
            None => Some(format!("operation has no operationId; using `{final_id}`")),
            Some(o) if *o != id => Some(format!("operationId `{o}` is used more than once; this one is `{id}`")),
            _ => None,
        };
        if let Some(message) = message {
            let id = final_id;
            diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location,
                operation: Some(id.clone()),
                target: "spec",
                message,
            });
            operation["operationId"] = Value::String(id);
        }
    }
}

/// Merge path-level parameters into each operation and hoist the inline
/// schemas of parameters, bodies and responses.
fn hoist_operation_schemas(spec: &mut Value, names: &mut NameSet) {
    let mut hoisted = Vec::new();
    for (path, method) in operations(spec) {
        let shared = spec["paths"][&path].get("parameters").cloned();
        let operation = &mut spec["paths"][&path][method];
        let id = pascal(operation["operationId"].as_str().unwrap_or_default());
        if let Some(Value::Array(shared)) = shared {
            let mut params = operation
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for param in shared {
                let key = |p: &Value| (p.get("name").cloned(), p.get("in").cloned());
                if !params.iter().any(|p| key(p) == key(&param)) {
                    params.push(param);
                }
            }
            operation["parameters"] = Value::Array(params);
        }
        if let Some(Value::Array(params)) = operation.get_mut("parameters") {
            for param in params.iter_mut() {
                let name = param.get("name").and_then(Value::as_str).unwrap_or("param").to_owned();
                if let Some(schema) = param.get_mut("schema") {
                    hoist_or_descend(schema, &format!("{id}{}", pascal(&name)), names, &mut hoisted);
                }
                // A parameter sent as a serialized document (`content`):
                // its schema is named like a `schema` one.
                if let Some(Value::Object(content)) = param.get_mut("content") {
                    for media in content.values_mut() {
                        if let Some(schema) = media.get_mut("schema") {
                            hoist_or_descend(schema, &format!("{id}{}", pascal(&name)), names, &mut hoisted);
                        }
                    }
                }
            }
        }
        if let Some(body) = operation.get_mut("requestBody") {
            hoist_content(body, &format!("{id}Body"), true, names, &mut hoisted);
        }
        if let Some(Value::Object(responses)) = operation.get_mut("responses") {
            let mut first_success = true;
            for (status, response) in responses.iter_mut() {
                let success = status.starts_with('2');
                let base = if success && first_success {
                    first_success = false;
                    format!("{id}Response")
                } else {
                    format!("{id}Response{}", pascal(status))
                };
                hoist_content(response, &base, true, names, &mut hoisted);
            }
        }
    }
    for path in spec["paths"].as_object_mut().into_iter().flat_map(|p| p.values_mut()) {
        if let Some(item) = path.as_object_mut() {
            item.remove("parameters");
        }
    }
    insert_components(spec, hoisted);
}

/// The names in a path template (`/a/{b}/c/{d}`: `b`, `d`).
pub fn template_names(path: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        names.push(&rest[start + 1..start + end]);
        rest = &rest[start + end + 1..];
    }
    names
}

/// Every name in the path template has a path parameter, and every path
/// parameter is in the template: an undeclared one is declared (a required
/// string), a path parameter missing from the template is dropped. Both
/// generators refuse the mismatch otherwise (progenitor panics).
fn match_template_params(spec: &mut Value, diagnostics: &mut Vec<Diagnostic>) {
    for (path, method) in operations(spec) {
        let operation = &mut spec["paths"][&path][method];
        let id = operation.get("operationId").and_then(Value::as_str).map(str::to_owned);
        let names = template_names(&path);
        if !operation.get("parameters").is_some_and(Value::is_array) {
            operation["parameters"] = json!([]);
        }
        let Some(params) = operation.get_mut("parameters").and_then(Value::as_array_mut) else {
            continue;
        };
        let mut report = |message: String| {
            diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: pointer(&["paths", &path, method, "parameters"]),
                operation: id.clone(),
                target: "spec",
                message,
            });
        };
        params.retain(|p| {
            let keep = p["in"] != "path" || p["name"].as_str().is_some_and(|n| names.contains(&n));
            if !keep {
                report(format!("path parameter {} is not in the path; dropped", p["name"]));
            }
            keep
        });
        for name in &names {
            if !params.iter().any(|p| p["in"] == "path" && p["name"] == *name) {
                report(format!(
                    "path parameter `{name}` is not declared; declared as a required string"
                ));
                params.push(json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }));
            }
        }
        if params.is_empty() {
            operation.as_object_mut().map(|o| o.remove("parameters"));
        }
    }
}

/// Hoist inline schemas nested in component schemas, until none are left.
fn hoist_nested_schemas(spec: &mut Value, names: &mut NameSet) {
    let mut queue: Vec<String> = spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    while !queue.is_empty() {
        let mut hoisted = Vec::new();
        for name in std::mem::take(&mut queue) {
            if let Some(schema) = spec["components"]["schemas"].get_mut(&name) {
                hoist_within(schema, &name, names, &mut hoisted);
            }
        }
        queue.extend(hoisted.iter().map(|(name, _)| name.clone()));
        insert_components(spec, hoisted);
    }
}

/// Call `f` on every schema object in the document (component schemas,
/// parameter, body, response and header schemas, recursively).
pub fn for_each_schema(spec: &mut Value, f: &mut dyn FnMut(&mut Value, &str)) {
    if let Some(Value::Object(schemas)) = spec["components"].get_mut("schemas") {
        for (name, schema) in schemas.iter_mut() {
            walk_schema(schema, &pointer(&["components", "schemas", name]), f);
        }
    }
    for (path, method) in operations(spec) {
        let base = pointer(&["paths", &path, method]);
        let operation = &mut spec["paths"][&path][method];
        if let Some(Value::Array(params)) = operation.get_mut("parameters") {
            for (i, param) in params.iter_mut().enumerate() {
                if let Some(schema) = param.get_mut("schema") {
                    walk_schema(schema, &format!("{base}/parameters/{i}/schema"), f);
                }
            }
        }
        let mut contents: Vec<(String, &mut Value)> = Vec::new();
        if let Some(object) = operation.as_object_mut() {
            for (key, entry) in object.iter_mut() {
                match (key.as_str(), entry) {
                    ("requestBody", body) => contents.push((format!("{base}/requestBody"), body)),
                    ("responses", Value::Object(responses)) => {
                        for (status, response) in responses.iter_mut() {
                            contents.push((format!("{base}/responses/{}", pointer_segment(status)), response));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (location, entry) in contents {
            if let Some(Value::Object(content)) = entry.get_mut("content") {
                for (media_type, media) in content.iter_mut() {
                    if let Some(schema) = media.get_mut("schema") {
                        let location = format!("{location}/content/{}/schema", pointer_segment(media_type));
                        walk_schema(schema, &location, f);
                    }
                }
            }
        }
    }
}

fn walk_schema(schema: &mut Value, location: &str, f: &mut dyn FnMut(&mut Value, &str)) {
    if !schema.is_object() {
        return;
    }
    f(schema, location);
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    for key in ["properties"] {
        if let Some(Value::Object(children)) = object.get_mut(key) {
            for (name, child) in children.iter_mut() {
                walk_schema(child, &format!("{location}/{key}/{}", pointer_segment(name)), f);
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = object.get_mut(key) {
            walk_schema(child, &format!("{location}/{key}"), f);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(members)) = object.get_mut(key) {
            for (i, member) in members.iter_mut().enumerate() {
                walk_schema(member, &format!("{location}/{key}/{i}"), f);
            }
        }
    }
}

/// Before hoisting: constructs typify cannot merge, rewritten into the
/// equivalent it can.
///
/// * A `oneOf`/`anyOf` whose members are each one value (`enum: [v]`, with
///   at most a title or description) is an `enum` of those values.
/// * An `enum` next to `allOf`/`oneOf`/`anyOf` is the enum: the values are
///   listed, the composition can only restate them (typify's merge panics).
fn simplify_schema(schema: &mut Value, location: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(members)) = object.get(key) else {
            continue;
        };
        let values: Option<Vec<Value>> = members
            .iter()
            .map(|member| {
                let member = member.as_object()?;
                if member
                    .keys()
                    .any(|k| !matches!(k.as_str(), "enum" | "title" | "description" | "type"))
                {
                    return None;
                }
                match member.get("enum") {
                    Some(Value::Array(values)) if values.len() == 1 => Some(values[0].clone()),
                    _ => None,
                }
            })
            .collect();
        if let Some(values) = values.filter(|v| !v.is_empty())
            && !object.contains_key("enum")
        {
            object.remove(key);
            object.insert("enum".into(), Value::Array(values));
        }
    }
    if object.contains_key("enum") {
        let dropped: Vec<&str> = ["allOf", "oneOf", "anyOf"]
            .into_iter()
            .filter(|key| object.remove(*key).is_some())
            .collect();
        if !dropped.is_empty() {
            diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: location.to_owned(),
                operation: None,
                target: "types",
                message: format!(
                    "`enum` next to `{}`: the enum is kept, the composition dropped",
                    dropped.join("`, `")
                ),
            });
        }
    }
}

/// Make one schema something every emitter accepts.
fn sanitize_schema(schema: &mut Value, location: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if object.contains_key("$ref") {
        // OpenAPI 3.0 ignores siblings of $ref; so do we.
        object.retain(|key, _| key == "$ref");
        return;
    }
    let composed = ["oneOf", "anyOf", "allOf", "not", "enum"]
        .iter()
        .any(|k| object.contains_key(*k));
    if !object.contains_key("type") && !composed {
        infer_type(object, location, diagnostics);
    }
    if let (Some(Value::String(ty)), Some(Value::Array(values))) = (object.get("type").cloned(), object.get("enum")) {
        let nullable = object.get("nullable") == Some(&Value::Bool(true));
        let matches = |v: &Value| match (ty.as_str(), v) {
            (_, Value::Null) => nullable,
            ("string", Value::String(_)) => true,
            ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
            ("number", Value::Number(_)) => true,
            ("boolean", Value::Bool(_)) => true,
            _ => false,
        };
        let mut kept: Vec<Value> = Vec::new();
        let mut dropped = Vec::new();
        for value in values {
            if matches(value) && !kept.contains(value) {
                kept.push(value.clone());
            } else if !matches(value) {
                dropped.push(value.to_string());
            }
        }
        if !dropped.is_empty() {
            diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: location.to_owned(),
                operation: None,
                target: "types",
                message: format!("enum values {} do not match type `{ty}`; dropped", dropped.join(", ")),
            });
        }
        let texts: Vec<&str> = kept.iter().filter_map(Value::as_str).collect();
        if ty == "string" && crate::names::variants_collide(&texts) {
            diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: location.to_owned(),
                operation: None,
                target: "types",
                message: "enum values cannot be told apart as Rust variants; the schema is a plain string".into(),
            });
            kept.clear();
        }
        if kept.is_empty() {
            object.remove("enum");
        } else {
            object.insert("enum".into(), Value::Array(kept));
        }
    }
    // An empty `required` list or an unknown `format` is harmless; a
    // `required` entry without a property confuses nobody either. A `type`
    // list (OpenAPI 3.1 style) is not 3.0: keep the first non-null entry.
    if let Some(Value::Array(types)) = object.get("type").cloned() {
        let nullable = types.iter().any(|t| t == "null");
        let first = types.into_iter().find(|t| t != "null").unwrap_or(json!("object"));
        object.insert("type".into(), first);
        if nullable {
            object.insert("nullable".into(), json!(true));
        }
    }
}

/// A schema without `type` whose keywords belong to one type (`format`,
/// `minLength`, `minimum`, `items`, `properties`, ...) gets that type: typify
/// refuses a bare `{"format": "date-time"}` ("invalid (or unexpected)
/// schema"). A `format` that names no type (`format: object`) is dropped.
fn infer_type(object: &mut Map<String, Value>, location: &str, diagnostics: &mut Vec<Diagnostic>) {
    let has = |keys: &[&str]| keys.iter().any(|k| object.contains_key(*k));
    let from_format = object.get("format").and_then(Value::as_str).map(|format| match format {
        "int32" | "int64" | "int8" | "int16" | "uint8" | "uint16" | "uint32" | "uint64" => Some("integer"),
        "float" | "double" | "decimal" => Some("number"),
        "date-time" | "date" | "time" | "duration" | "uuid" | "email" | "idn-email" | "uri" | "uri-reference"
        | "iri" | "iri-reference" | "hostname" | "idn-hostname" | "ipv4" | "ipv6" | "byte" | "binary" | "password"
        | "regex" | "json-pointer" | "uri-template" => Some("string"),
        _ => None,
    });
    let inferred = if has(&["properties", "required", "minProperties", "maxProperties"])
        || object.get("additionalProperties").is_some_and(Value::is_object)
    {
        Some("object")
    } else if has(&["items", "minItems", "maxItems", "uniqueItems"]) {
        Some("array")
    } else if has(&["minLength", "maxLength", "pattern"]) {
        Some("string")
    } else if let Some(Some(ty)) = from_format {
        Some(ty)
    } else if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        Some("number")
    } else {
        None
    };
    if from_format == Some(None) && inferred.is_none() {
        let format = object.remove("format").unwrap_or_default();
        diagnostics.push(Diagnostic {
            severity: Severity::Adapted,
            location: location.to_owned(),
            operation: None,
            target: "types",
            message: format!("untyped schema with format {format} (which names no type): the format is dropped"),
        });
        return;
    }
    let Some(ty) = inferred else {
        return;
    };
    object.insert("type".into(), json!(ty));
    // Properties alone making an object is the common, unremarkable case.
    if ty != "object" {
        diagnostics.push(Diagnostic {
            severity: Severity::Adapted,
            location: location.to_owned(),
            operation: None,
            target: "types",
            message: format!("schema has no `type`; its keywords make it `{ty}`"),
        });
    }
}

/// Objects whose property names turn into the same Rust field name (`_id`
/// and `id`, `" _id"` and `id`, `a-b` and `a_b`), judged on the identifiers
/// typify would emit ([`field_name`]), including the properties an `allOf`
/// merges in.
fn find_colliding_objects(spec: &mut Value, diagnostics: &mut Vec<Diagnostic>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut merge = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().into_iter().flatten() {
        let mut properties = Vec::new();
        collect_properties(spec, schema, &mut properties, 0);
        if properties.is_empty() {
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut wire_seen = BTreeSet::new();
        let clashes: Vec<&String> = properties
            .iter()
            .filter(|p| wire_seen.insert(p.as_str()))
            .filter(|p| !seen.insert(field_name(p)))
            .collect();
        if clashes.is_empty() {
            continue;
        }
        let merged = schema.get("allOf").is_some();
        // Our struct emitter reads `properties`: the object with its `allOf`
        // merged, and the required names that have no property (typify makes
        // a field of any JSON for each) as properties of any value.
        merge.push((name.clone(), merged_object(spec, schema)));
        diagnostics.push(Diagnostic {
            severity: Severity::Adapted,
            location: pointer(&["components", "schemas", name, "properties"]),
            operation: None,
            target: "types",
            message: format!(
                "properties {} collide with others as Rust fields; numbered fields are used{}",
                clashes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                if merged {
                    " (allOf members merged into one object)"
                } else {
                    ""
                }
            ),
        });
        out.insert(name.clone());
    }
    for (name, schema) in merge {
        spec["components"]["schemas"][&name] = schema;
    }
    out
}

/// The property names an object ends up with: its own, and those of its
/// `allOf` members (followed through references), in order.
fn collect_properties(spec: &Value, schema: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(target) = resolve(spec, reference) {
            collect_properties(spec, target, out, depth + 1);
        }
        return;
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        out.extend(properties.keys().cloned());
    }
    // typify adds a field for a required name without a property, too.
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
        out.extend(name.as_str().map(str::to_owned));
    }
    for member in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        collect_properties(spec, member, out, depth + 1);
    }
}

/// An object whose fields collide as one object schema: its own and its
/// `allOf` members' properties and `required`, and each required name
/// without a property as a property of any value.
fn merged_object(spec: &Value, schema: &Value) -> Value {
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    merge_into(spec, schema, &mut properties, &mut required, 0);
    for name in required.iter().filter_map(Value::as_str) {
        if !properties.contains_key(name) {
            properties.insert(name.to_owned(), json!({}));
        }
    }
    let mut out = schema.as_object().cloned().unwrap_or_default();
    out.remove("allOf");
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    Value::Object(out)
}

fn merge_into(
    spec: &Value,
    schema: &Value,
    properties: &mut Map<String, Value>,
    required: &mut Vec<Value>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(target) = resolve(spec, reference) {
            merge_into(spec, target, properties, required, depth + 1);
        }
        return;
    }
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        properties.entry(name.clone()).or_insert_with(|| property.clone());
    }
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
        if !required.contains(name) {
            required.push(name.clone());
        }
    }
    for member in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        merge_into(spec, member, properties, required, depth + 1);
    }
}
