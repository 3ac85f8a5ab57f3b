//! Object-valued query parameters: their keys gathered from the query string
//! into one JSON object, in the spelling the spec's `style` names, each
//! property coerced by its declared kind. The object is then validated
//! against the parameter's schema like any other parameter's value, so a
//! property that does not fit its type gets the same 400.

use serde_json::{Map, Value};

use crate::error::{Location, ValidationIssue};
use crate::extract::coerce;
use crate::spec::{ObjectSpec, ObjectStyle, ParamKind, ParamSpec};

/// The object `param` was given in `query`, or `None` when none of its keys
/// is there. `claimed` names the keys that belong to something else (the
/// operation's other query parameters, API keys sent in the query), which
/// an exploded form object taking any other key (`rest`) leaves alone.
/// Keys that cannot be read in the parameter's style are reported in
/// `issues`.
pub(crate) fn gather(
    param: &ParamSpec,
    object: &ObjectSpec,
    query: &[(String, String)],
    claimed: &[&str],
    issues: &mut Vec<ValidationIssue>,
) -> Option<Value> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut present = false;
    match object.style {
        ObjectStyle::DeepObject => {
            for (key, value) in query {
                let Some(inner) = key.strip_prefix(param.name).and_then(|rest| rest.strip_prefix('[')) else {
                    continue;
                };
                present = true;
                match inner.strip_suffix(']') {
                    Some(property) if !property.is_empty() && !property.contains(['[', ']']) => {
                        pairs.push((property, value));
                    }
                    _ => issues.push(bad_key(
                        param,
                        format!(
                            "`{key}` is not a key of this deepObject parameter: expected `{}[property]` (one level)",
                            param.name
                        ),
                    )),
                }
            }
        }
        ObjectStyle::FormExploded => {
            for (key, value) in query {
                let declared = object.properties.iter().any(|(name, _)| name == key);
                // `other[x]` belongs to a deepObject `other` as much as `other` does.
                let base = key.split('[').next().unwrap_or_default();
                if declared || (object.rest.is_some() && !claimed.contains(&key.as_str()) && !claimed.contains(&base)) {
                    present = true;
                    pairs.push((key, value));
                }
            }
        }
        ObjectStyle::Form => {
            // Repeated, the last one counts, as for any other parameter.
            let text = query.iter().rev().find(|(key, _)| key == param.name)?.1.as_str();
            present = true;
            if !text.is_empty() {
                let items: Vec<&str> = text.split(',').collect();
                if items.len() % 2 == 1 {
                    issues.push(bad_key(
                        param,
                        format!(
                            "`{text}` is not an object in form style: expected property names and values alternating, separated by commas (`name,value,...`)"
                        ),
                    ));
                } else {
                    pairs.extend(items.chunks(2).map(|pair| (pair[0], pair[1])));
                }
            }
        }
    }
    present.then(|| Value::Object(build(object, &pairs)))
}

/// The object of `pairs`, each value coerced by its property's kind: an
/// array property takes every value given for it, another the last.
fn build(object: &ObjectSpec, pairs: &[(&str, &str)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (property, text) in pairs {
        let kind = object
            .properties
            .iter()
            .find_map(|(name, kind)| (name == property).then_some(*kind))
            .or(object.rest)
            .unwrap_or(ParamKind::String);
        match kind {
            ParamKind::Array(item) => {
                let entry = out
                    .entry(property.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    items.push(coerce(*item, text));
                }
            }
            kind => {
                out.insert(property.to_string(), coerce(kind, text));
            }
        }
    }
    out
}

fn bad_key(param: &ParamSpec, message: String) -> ValidationIssue {
    ValidationIssue {
        location: Location::Query,
        name: param.name.to_owned(),
        pointer: String::new(),
        keyword: "style".to_owned(),
        property: None,
        message,
    }
}
