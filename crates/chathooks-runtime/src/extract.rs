//! Credentials and parameters out of the request head.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::{HeaderMap, header, request::Parts};
use serde_json::{Map, Value};

use crate::Credential;
use crate::error::{Location, RequestError, RequestErrorKind, ValidationIssue};
use crate::query_object;
use crate::spec::{ObjectStyle, OperationSpec, ParamKind, ParamSpec, SchemeSpec};

/// Match the request against the security alternatives, in order. The first
/// alternative whose every scheme is present wins.
pub(crate) fn credentials(spec: &OperationSpec, parts: &Parts) -> Result<Option<Credential>, RequestError> {
    if spec.security.is_empty() {
        return Ok(None);
    }
    for (requirement, schemes) in spec.security.iter().enumerate() {
        if schemes.is_empty() {
            // An empty alternative: anonymous access is allowed.
            continue;
        }
        let values: Option<Vec<String>> = schemes.iter().map(|scheme| scheme_value(scheme, parts)).collect();
        if let Some(values) = values {
            return Ok(Some(Credential { requirement, values }));
        }
    }
    if spec.security.iter().any(|schemes| schemes.is_empty()) {
        return Ok(None);
    }
    Err(RequestError {
        operation_id: spec.operation_id,
        kind: RequestErrorKind::Unauthenticated,
    })
}

fn scheme_value(scheme: &SchemeSpec, parts: &Parts) -> Option<String> {
    let value = match scheme {
        SchemeSpec::Http { scheme } => {
            let authorization = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
            let (given, credential) = authorization.trim().split_once(' ')?;
            given.eq_ignore_ascii_case(scheme).then(|| credential.trim().to_owned())
        }
        SchemeSpec::ApiKey {
            location: Location::Header,
            name,
        } => parts.headers.get(*name)?.to_str().ok().map(str::to_owned),
        SchemeSpec::ApiKey {
            location: Location::Query,
            name,
        } => query_pairs(parts)
            .into_iter()
            .find_map(|(key, value)| (key == *name).then_some(value)),
        SchemeSpec::ApiKey {
            location: Location::Cookie,
            name,
        } => cookie(&parts.headers, name),
        SchemeSpec::ApiKey { .. } => None,
    }?;
    (!value.is_empty()).then_some(value)
}

fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .map(|query| form_urlencoded::parse(query.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"').to_owned())
        })
}

/// Collect every declared parameter, coerced to JSON and defaulted. Problems
/// are appended to `issues`.
pub(crate) async fn parameters(
    spec: &OperationSpec,
    parts: &mut Parts,
    issues: &mut Vec<ValidationIssue>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let path: Vec<(String, String)> = if spec.params.iter().any(|p| p.location == Location::Path) {
        match RawPathParams::from_request_parts(parts, &()).await {
            Ok(raw) => raw.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
            Err(rejection) => {
                issues.push(ValidationIssue::malformed(Location::Path, rejection.body_text()));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let query = query_pairs(parts);
    let claimed = claimed_query_keys(spec);

    for param in spec.params {
        if let (Location::Query, Some(object)) = (param.location, param.object) {
            let others: Vec<&str> = claimed
                .iter()
                .filter(|(owner, _)| *owner != Some(param.name))
                .map(|(_, key)| *key)
                .collect();
            let value = query_object::gather(param, object, &query, &others, issues);
            settle(param, value, &mut out, issues);
            continue;
        }
        let raw: Vec<String> = match param.location {
            Location::Path => path
                .iter()
                .filter(|(k, _)| k == param.name)
                .map(|(_, v)| v.clone())
                .collect(),
            Location::Query => query
                .iter()
                .filter(|(k, _)| k == param.name)
                .map(|(_, v)| v.clone())
                .collect(),
            Location::Header => parts
                .headers
                .get_all(param.name)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect(),
            Location::Cookie => cookie(&parts.headers, param.name).into_iter().collect(),
            Location::Body => Vec::new(),
        };
        settle(param, coerce_param(param, raw), &mut out, issues);
    }
    out
}

/// Record a parameter's value, else its default, else (when required) that
/// it is missing.
fn settle(param: &ParamSpec, value: Option<Value>, out: &mut Map<String, Value>, issues: &mut Vec<ValidationIssue>) {
    match value {
        Some(value) => {
            out.insert(param.name.to_owned(), value);
        }
        None => {
            if let Some(default) = param.default.and_then(|d| serde_json::from_str(d).ok()) {
                out.insert(param.name.to_owned(), default);
            } else if param.required {
                issues.push(ValidationIssue::missing(param.location, param.name));
            }
        }
    }
}

/// The query keys an operation names, with the parameter naming each:
/// its query parameters, the properties of its exploded form objects, and
/// the API keys its security schemes read from the query (no parameter).
fn claimed_query_keys(spec: &OperationSpec) -> Vec<(Option<&'static str>, &'static str)> {
    let mut claimed = Vec::new();
    for param in spec.params.iter().filter(|param| param.location == Location::Query) {
        claimed.push((Some(param.name), param.name));
        if let Some(object) = param.object.filter(|object| object.style == ObjectStyle::FormExploded) {
            claimed.extend(
                object
                    .properties
                    .iter()
                    .map(|(property, _)| (Some(param.name), *property)),
            );
        }
    }
    for scheme in spec.security.iter().flat_map(|schemes| schemes.iter()) {
        if let SchemeSpec::ApiKey {
            location: Location::Query,
            name,
        } = scheme
        {
            claimed.push((None, *name));
        }
    }
    claimed
}

fn coerce_param(param: &ParamSpec, raw: Vec<String>) -> Option<Value> {
    match param.kind {
        ParamKind::Array(item) => {
            let items: Vec<String> = if param.explode {
                raw
            } else {
                raw.iter().flat_map(|v| v.split(',').map(str::to_owned)).collect()
            };
            if items.is_empty() {
                return None;
            }
            Some(Value::Array(items.iter().map(|v| coerce(*item, v)).collect()))
        }
        kind => raw.last().map(|v| coerce(kind, v)),
    }
}

/// Turn the text of a parameter or form field into the JSON value its schema
/// expects. Text that does not parse stays a string, so that validation
/// reports it against the schema.
pub(crate) fn coerce(kind: ParamKind, text: &str) -> Value {
    match kind {
        ParamKind::String => Value::String(text.to_owned()),
        ParamKind::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.trim().parse::<u64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        ParamKind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .unwrap_or_else(|| Value::String(text.to_owned())),
        ParamKind::Boolean => match text.trim() {
            "true" | "True" | "TRUE" | "1" => Value::Bool(true),
            "false" | "False" | "FALSE" | "0" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
        ParamKind::Array(item) => Value::Array(text.split(',').map(|v| coerce(*item, v)).collect()),
        ParamKind::Json => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())),
    }
}
