//! The intermediate representation: every operation lowered once, from the
//! normalized spec, into what the emitters need. Schemas stay JSON values
//! (normalized, so every named type is a component reference).

use openapiv3::{
    APIKeyLocation, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, SecurityScheme, StatusCode,
};
use serde_json::{Value, json};

use crate::diagnostics::{Diagnostic, Severity, pointer};
use crate::names::{NameSet, pascal, snake};
use crate::normalize::{media_kind_name, resolve, schema_ref_name};

#[derive(Debug, Clone)]
pub struct Api {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    pub operations: Vec<Operation>,
    pub schemes: Vec<Scheme>,
    pub tags: Vec<Tag>,
    /// `servers`: URL and description.
    pub servers: Vec<(String, Option<String>)>,
    /// Distinct security requirements (sets of scheme names) across the API,
    /// in order of first use: one `Credentials` variant each.
    pub requirements: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Scheme {
    pub name: String,
    pub kind: SchemeKind,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    Http { scheme: String },
    ApiKey { location: Location, name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub snake: String,
    pub method: String,
    pub path: String,
    /// JSON pointer of the operation in the spec.
    pub location: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
    /// Alternatives of scheme-name sets. Empty: no authentication.
    pub security: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub field: String,
    pub location: Location,
    pub required: bool,
    pub description: Option<String>,
    pub schema: Value,
    pub ty: TypeRef,
    pub kind: Kind,
    pub explode: bool,
    pub default: Option<Value>,
    /// An object-valued query parameter (not one sent as `content`): how
    /// its properties are spelled in the query string and coerced.
    pub object: Option<ObjectParam>,
}

/// The properties of an object-valued query parameter, in its style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectParam {
    pub style: ObjectStyle,
    /// Declared properties (those of `allOf`/`oneOf`/`anyOf` branches too)
    /// and how each one's text is coerced.
    pub properties: Vec<(String, Kind)>,
    /// How the values of keys not among `properties` are coerced; `None`:
    /// they are not part of the object.
    pub rest: Option<Kind>,
}

/// How an object is spelled in a query string (OpenAPI's `style` and
/// `explode`; `{"status":"open","limit":3}` as `filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectStyle {
    /// `form`, exploded (the default): `status=open&limit=3`.
    FormExploded,
    /// `form`, `explode: false`: `filter=status,open,limit,3`.
    Form,
    /// `deepObject`: `filter[status]=open&filter[limit]=3`. OpenAPI defines
    /// it only exploded; it is read that way whatever `explode` says.
    DeepObject,
}

impl ObjectStyle {
    /// The style of a query parameter as the spec writes it (`style`
    /// absent: `form`; `explode` absent: exploded, as for `form`).
    pub fn of(style: Option<&str>, explode: Option<bool>) -> Self {
        match style {
            Some("deepObject") => Self::DeepObject,
            _ if explode == Some(false) => Self::Form,
            _ => Self::FormExploded,
        }
    }
}

/// Whether a query parameter whose (resolved) schema is `schema`, written
/// in `style`, is sent as an object: its schema says it is one, or its
/// style (`deepObject`) does. One rule for the server and the client.
pub fn is_object_query(raw: &Value, schema: &Value, style: ObjectStyle) -> bool {
    let resolved = resolve_schema(raw, schema);
    is_object_schema(resolved)
        || (style == ObjectStyle::DeepObject && kind_of(raw, schema) == Kind::Json && !is_array_schema(resolved))
}

/// The properties and extra keys of an object query parameter of `schema`.
pub fn object_param(raw: &Value, schema: &Value, style: ObjectStyle) -> ObjectParam {
    let resolved = resolve_schema(raw, schema);
    let properties = form_fields(raw, schema);
    // Extra keys: in deepObject and non-exploded form every key written is
    // the object's; strings unless `additionalProperties` types them (the
    // schema then judges whether they may be there). Exploded form takes
    // other keys of the query only when the schema says it is a map.
    let additional = resolved.get("additionalProperties");
    let typed = additional.filter(|a| a.as_object().is_some_and(|o| !o.is_empty()));
    let rest = match style {
        ObjectStyle::DeepObject | ObjectStyle::Form => Some(typed.map_or(Kind::String, |a| rest_kind(raw, a))),
        ObjectStyle::FormExploded => match additional {
            Some(Value::Bool(true) | Value::Object(_)) => Some(typed.map_or(Kind::String, |a| rest_kind(raw, a))),
            _ => None,
        },
    };
    ObjectParam {
        style,
        properties,
        rest,
    }
}

/// An untyped extra value is taken as text.
fn rest_kind(raw: &Value, schema: &Value) -> Kind {
    match kind_of(raw, schema) {
        Kind::Json if resolve_schema(raw, schema).get("type").is_none() => Kind::String,
        kind => kind,
    }
}

#[derive(Debug, Clone)]
pub struct Body {
    pub required: bool,
    pub description: Option<String>,
    pub media: Vec<Media>,
    /// Read a body whose Content-Type matches none of `media` as JSON
    /// ([`LENIENT_JSON`]); only set when `media` has JSON.
    pub lenient_json: bool,
}

/// The extension saying a server reads request bodies as JSON whatever
/// their Content-Type (as Mattermost does): `true` on the document's root for
/// every body, or on one request body (where `false` overrides the root).
pub const LENIENT_JSON: &str = "x-chathooks-lenient-json";

#[derive(Debug, Clone)]
pub struct Media {
    pub content_type: String,
    pub kind: MediaKind,
    pub variant: String,
    pub schema: Value,
    pub ty: TypeRef,
    /// Form and multipart: how each field's text is coerced.
    pub fields: Vec<(String, Kind)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Json,
    Form,
    Multipart,
    Text,
    Binary,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: Status,
    pub variant: String,
    pub description: String,
    pub content: Option<Content>,
    pub headers: Vec<Header>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Code(u16),
    Range(u16),
    Default,
}

#[derive(Debug, Clone)]
pub struct Content {
    pub content_type: String,
    pub kind: MediaKind,
    pub ty: TypeRef,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub field: String,
    pub required: bool,
    pub description: Option<String>,
}

/// A Rust type for a schema, as far as operation signatures need one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    /// A component schema: a type of the types crate.
    Named(String),
    String,
    I32,
    I64,
    F64,
    Bool,
    Bytes,
    Vec(Box<TypeRef>),
    Map(Box<TypeRef>),
    Json,
}

/// How text (parameters, form fields) is coerced before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Array(Box<Kind>),
    Json,
}

pub struct Lowered {
    pub api: Api,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lower the normalized spec. `raw` is the same spec as JSON, for resolving
/// component schemas. Operations that cannot be served are left out, each
/// with a diagnostic.
pub fn lower(spec: &OpenAPI, raw: &Value) -> Lowered {
    let mut diagnostics = Vec::new();
    let schemes: Vec<Scheme> = spec
        .components
        .iter()
        .flat_map(|c| c.security_schemes.iter())
        .filter_map(|(name, scheme)| {
            let scheme = scheme.as_item()?;
            let kind = match scheme {
                SecurityScheme::HTTP { scheme, .. } => SchemeKind::Http { scheme: scheme.clone() },
                SecurityScheme::APIKey { location, name, .. } => SchemeKind::ApiKey {
                    location: match location {
                        APIKeyLocation::Query => Location::Query,
                        APIKeyLocation::Header => Location::Header,
                        APIKeyLocation::Cookie => Location::Cookie,
                    },
                    name: name.clone(),
                },
                // OAuth2 and OpenID Connect present bearer tokens.
                SecurityScheme::OAuth2 { .. } | SecurityScheme::OpenIDConnect { .. } => SchemeKind::Http {
                    scheme: "bearer".into(),
                },
            };
            let description = match scheme {
                SecurityScheme::HTTP { description, .. }
                | SecurityScheme::APIKey { description, .. }
                | SecurityScheme::OAuth2 { description, .. }
                | SecurityScheme::OpenIDConnect { description, .. } => description.clone(),
            };
            Some(Scheme {
                name: name.clone(),
                kind,
                description,
            })
        })
        .collect();

    let mut operations = Vec::new();
    let mut requirements: Vec<Vec<String>> = Vec::new();
    for (path, item) in spec.paths.iter() {
        let Some(item) = item.as_item() else {
            diagnostics.push(Diagnostic {
                severity: Severity::Skipped,
                location: pointer(&["paths", path]),
                operation: None,
                target: "server",
                message: "path items given by reference are not supported".into(),
            });
            continue;
        };
        for (method, operation) in item.iter() {
            let location = pointer(&["paths", path, method]);
            let id = operation.operation_id.clone().unwrap_or_default();
            match lower_operation(spec, raw, path, method, operation, &location, &schemes) {
                Ok(op) => {
                    for requirement in &op.security {
                        if !requirement.is_empty() && !requirements.contains(requirement) {
                            requirements.push(requirement.clone());
                        }
                    }
                    operations.push(op);
                }
                Err(message) => diagnostics.push(Diagnostic {
                    severity: Severity::Skipped,
                    location,
                    operation: Some(id),
                    target: "server",
                    message,
                }),
            }
        }
    }
    Lowered {
        api: Api {
            title: spec.info.title.clone(),
            version: spec.info.version.clone(),
            description: spec.info.description.clone(),
            operations,
            schemes,
            tags: spec
                .tags
                .iter()
                .map(|tag| Tag {
                    name: tag.name.clone(),
                    description: tag.description.clone(),
                })
                .collect(),
            servers: spec
                .servers
                .iter()
                .map(|server| (server.url.clone(), server.description.clone()))
                .collect(),
            requirements,
        },
        diagnostics,
    }
}

fn lower_operation(
    spec: &OpenAPI,
    raw: &Value,
    path: &str,
    method: &str,
    operation: &openapiv3::Operation,
    location: &str,
    schemes: &[Scheme],
) -> Result<Operation, String> {
    let id = operation.operation_id.clone().ok_or("operation has no operationId")?;
    let mut fields = NameSet::default();
    let mut params = Vec::new();
    for param in &operation.parameters {
        let ReferenceOr::Item(param) = param else {
            return Err("parameter reference did not resolve".into());
        };
        let mut query_style = None;
        let (data, location, explode_default) = match param {
            Parameter::Query {
                parameter_data, style, ..
            } => {
                // Objects are read in form and deepObject styles; the
                // delimited styles are for arrays (read as form ones).
                query_style = match style {
                    openapiv3::QueryStyle::Form => Some(ObjectStyle::of(None, parameter_data.explode)),
                    openapiv3::QueryStyle::DeepObject => Some(ObjectStyle::DeepObject),
                    _ => None,
                };
                (parameter_data, Location::Query, true)
            }
            Parameter::Header { parameter_data, .. } => (parameter_data, Location::Header, false),
            Parameter::Path { parameter_data, .. } => (parameter_data, Location::Path, false),
            Parameter::Cookie { parameter_data, .. } => (parameter_data, Location::Cookie, true),
        };
        // A `content` parameter is a serialized document; JSON is the one
        // the runtime reads (its text parsed as JSON), whatever its schema.
        let (schema, json_content) = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => (serde_json::to_value(schema).unwrap_or(json!({})), false),
            ParameterSchemaOrContent::Content(content) => {
                match content.iter().find(|(media_type, _)| is_json_media(media_type)) {
                    Some((_, media)) => (
                        media
                            .schema
                            .as_ref()
                            .and_then(|schema| serde_json::to_value(schema).ok())
                            .unwrap_or(json!({})),
                        true,
                    ),
                    None => (json!({}), false),
                }
            }
        };
        let base = snake(&data.name);
        let field = if fields.contains(&base) {
            fields.unique_snake(&format!("{}_{base}", location_name(location)))
        } else {
            fields.unique_snake(&base)
        };
        let resolved = resolve_schema(raw, &schema);
        let default = resolved.get("default").cloned();
        let kind = kind_of(raw, &schema);
        let kind = if json_content { Kind::Json } else { kind };
        // An object in the query (not a serialized document) is gathered
        // from its keys in its style.
        let object = match query_style {
            Some(style) if !json_content && is_object_query(raw, &schema, style) => {
                Some(object_param(raw, &schema, style))
            }
            Some(ObjectStyle::DeepObject) if !json_content => {
                return Err(format!(
                    "query parameter `{}` uses style deepObject, which OpenAPI defines for objects only, on a schema that is not one",
                    data.name
                ));
            }
            _ => None,
        };
        let explode = match &object {
            Some(object) => object.style != ObjectStyle::Form,
            None => data.explode.unwrap_or(explode_default),
        };
        params.push(Param {
            name: data.name.clone(),
            field,
            location,
            required: data.required || location == Location::Path,
            description: data.description.clone(),
            ty: type_ref(raw, &schema),
            kind,
            explode,
            default,
            schema,
            object,
        });
    }
    check_path_params(path, &params)?;

    let body = match &operation.request_body {
        None => None,
        Some(ReferenceOr::Reference { reference }) => {
            return Err(format!("request body reference `{reference}` did not resolve"));
        }
        Some(ReferenceOr::Item(body)) => {
            let mut variants = NameSet::default();
            let media = body
                .content
                .iter()
                .map(|(content_type, media)| {
                    let schema = media
                        .schema
                        .as_ref()
                        .map(|s| serde_json::to_value(s).unwrap_or(json!({})))
                        .unwrap_or(json!({}));
                    let kind = media_kind(content_type);
                    let variant = variants.unique(media_kind_name(content_type));
                    let ty = match kind {
                        MediaKind::Json | MediaKind::Form | MediaKind::Multipart => type_ref(raw, &schema),
                        MediaKind::Text => TypeRef::String,
                        MediaKind::Binary => TypeRef::Bytes,
                    };
                    let fields = match kind {
                        MediaKind::Form | MediaKind::Multipart => form_fields(raw, &schema),
                        _ => Vec::new(),
                    };
                    Media {
                        content_type: content_type.clone(),
                        kind,
                        variant,
                        schema,
                        ty,
                        fields,
                    }
                })
                .collect::<Vec<_>>();
            let lenient_json = body
                .extensions
                .get(LENIENT_JSON)
                .or_else(|| raw.get(LENIENT_JSON))
                .and_then(Value::as_bool)
                .unwrap_or(false)
                && media.iter().any(|m| m.kind == MediaKind::Json);
            (!media.is_empty()).then(|| Body {
                required: body.required,
                description: body.description.clone(),
                media,
                lenient_json,
            })
        }
    };

    let mut responses = Vec::new();
    let mut variants = NameSet::default();
    let entries = operation
        .responses
        .responses
        .iter()
        .map(|(code, response)| {
            let status = match code {
                StatusCode::Code(code) => Status::Code(*code),
                StatusCode::Range(range) => Status::Range(*range),
            };
            (status, response)
        })
        .chain(
            operation
                .responses
                .default
                .iter()
                .map(|response| (Status::Default, response)),
        );
    for (status, response) in entries {
        let ReferenceOr::Item(response) = response else {
            return Err("response reference did not resolve".into());
        };
        if matches!(status, Status::Code(code) if !(100..=999).contains(&code)) {
            return Err(format!("invalid status code {status:?}"));
        }
        let variant = variants.unique(&status_variant(status));
        let content = pick_content(&response.content).map(|(content_type, media)| {
            let kind = media_kind(content_type);
            let schema = media
                .schema
                .as_ref()
                .map(|s| serde_json::to_value(s).unwrap_or(json!({})))
                .unwrap_or(json!({}));
            let ty = match kind {
                MediaKind::Json | MediaKind::Form | MediaKind::Multipart => type_ref(raw, &schema),
                MediaKind::Text => TypeRef::String,
                MediaKind::Binary => TypeRef::Bytes,
            };
            Content {
                content_type: content_type.clone(),
                kind,
                ty,
            }
        });
        let mut header_fields = NameSet::default();
        let headers = response
            .headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
            .filter(|(name, _)| axum_header_name_ok(name))
            .map(|(name, header)| {
                let (required, description) = match header {
                    ReferenceOr::Item(h) => (h.required, h.description.clone()),
                    ReferenceOr::Reference { .. } => (false, None),
                };
                Header {
                    name: name.clone(),
                    field: header_fields.unique_snake(&snake(name)),
                    required,
                    description,
                }
            })
            .collect();
        responses.push(Response {
            status,
            variant,
            description: response.description.clone(),
            content,
            headers,
        });
    }

    let security_source = operation.security.as_ref().or(spec.security.as_ref());
    let mut security = Vec::new();
    for requirement in security_source.into_iter().flatten() {
        let names: Vec<String> = requirement.keys().cloned().collect();
        if names.iter().all(|n| schemes.iter().any(|s| &s.name == n)) {
            security.push(names);
        }
    }

    Ok(Operation {
        snake: snake(&id),
        id,
        method: method.to_owned(),
        path: path.to_owned(),
        location: location.to_owned(),
        summary: operation.summary.clone(),
        description: operation.description.clone(),
        deprecated: operation.deprecated,
        params,
        body,
        responses,
        security,
    })
}

fn axum_header_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn location_name(location: Location) -> &'static str {
    match location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
        Location::Cookie => "cookie",
    }
}

/// Every `{name}` in the path has a path parameter and vice versa.
fn check_path_params(path: &str, params: &[Param]) -> Result<(), String> {
    let mut in_template = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unbalanced braces in path `{path}`"))?
            + start;
        in_template.push(&rest[start + 1..end]);
        rest = &rest[end + 1..];
    }
    for name in &in_template {
        if !params.iter().any(|p| p.location == Location::Path && p.name == *name) {
            return Err(format!("path parameter `{name}` is not declared"));
        }
    }
    for param in params.iter().filter(|p| p.location == Location::Path) {
        if !in_template.contains(&param.name.as_str()) {
            return Err(format!("path parameter `{}` does not appear in the path", param.name));
        }
    }
    Ok(())
}

fn pick_content(
    content: &indexmap::IndexMap<String, openapiv3::MediaType>,
) -> Option<(&String, &openapiv3::MediaType)> {
    let rank = |ct: &str| match media_kind(ct) {
        MediaKind::Json => 0,
        MediaKind::Text => 1,
        _ => 2,
    };
    content.iter().min_by_key(|(ct, _)| rank(ct))
}

pub fn media_kind(content_type: &str) -> MediaKind {
    match media_kind_name(content_type) {
        "Json" => MediaKind::Json,
        "Form" => MediaKind::Form,
        "Multipart" => MediaKind::Multipart,
        "Text" => MediaKind::Text,
        _ => MediaKind::Binary,
    }
}

pub fn status_variant(status: Status) -> String {
    match status {
        Status::Code(code) => http::StatusCode::from_u16(code)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(pascal)
            .unwrap_or_else(|| format!("Status{code}")),
        Status::Range(range) => format!("Status{range}xx"),
        Status::Default => "Default".into(),
    }
}

/// Follow a component reference (once per level) to the schema it names.
pub fn resolve_schema<'a>(raw: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => match resolve(raw, reference) {
                Some(target) => current = target,
                None => return current,
            },
            None => return current,
        }
    }
    current
}

/// `application/json`, or any `…+json` / `…/json` media type.
fn is_json_media(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence.ends_with("/json")
}

fn is_object_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object") || schema.get("properties").is_some()
}

fn is_array_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("array") || schema.get("items").is_some()
}

pub fn kind_of(raw: &Value, schema: &Value) -> Kind {
    let schema = resolve_schema(raw, schema);
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => Kind::String,
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        Some("array") => Kind::Array(Box::new(
            schema.get("items").map_or(Kind::String, |items| kind_of(raw, items)),
        )),
        Some(_) => Kind::Json,
        // An enum without a type: strings, most likely.
        None if schema.get("enum").is_some() => Kind::String,
        None => Kind::Json,
    }
}

pub fn type_ref(raw: &Value, schema: &Value) -> TypeRef {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return match schema_ref_name(reference) {
            Some(name) if resolve(raw, reference).is_some() => TypeRef::Named(name),
            _ => TypeRef::Json,
        };
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => TypeRef::String,
        Some("integer") => match schema.get("format").and_then(Value::as_str) {
            Some("int32") => TypeRef::I32,
            _ => TypeRef::I64,
        },
        Some("number") => TypeRef::F64,
        Some("boolean") => TypeRef::Bool,
        Some("array") => TypeRef::Vec(Box::new(
            schema.get("items").map_or(TypeRef::Json, |items| type_ref(raw, items)),
        )),
        Some("object") => match schema.get("additionalProperties") {
            Some(additional) if additional.is_object() && additional.as_object().is_some_and(|o| !o.is_empty()) => {
                TypeRef::Map(Box::new(type_ref(raw, additional)))
            }
            _ => TypeRef::Map(Box::new(TypeRef::Json)),
        },
        _ => TypeRef::Json,
    }
}

/// The fields of a form or multipart body and how each is coerced: the
/// schema's properties, and those of its `oneOf`/`anyOf`/`allOf` branches
/// (a field declared by several branches takes the first declaration), so
/// that a form body of a `oneOf` schema is read as typed as its JSON twin.
fn form_fields(raw: &Value, schema: &Value) -> Vec<(String, Kind)> {
    let mut fields = Vec::new();
    collect_form_fields(raw, schema, &mut fields, 0);
    fields
}

fn collect_form_fields(raw: &Value, schema: &Value, fields: &mut Vec<(String, Kind)>, depth: usize) {
    if depth > 8 {
        return;
    }
    let schema = resolve_schema(raw, schema);
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !fields.iter().any(|(field, _)| field == name) {
            fields.push((name.clone(), kind_of(raw, property)));
        }
    }
    for keyword in ["allOf", "oneOf", "anyOf"] {
        for branch in schema.get(keyword).and_then(Value::as_array).into_iter().flatten() {
            collect_form_fields(raw, branch, fields, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_of_a_one_of_body_are_those_of_its_branches() {
        let raw = json!({"components": {"schemas": {
            "Incoming": {"type": "object", "properties": {
                "type": {"type": "string"},
                "enabled": {"type": "boolean"},
            }},
            "Outgoing": {"type": "object", "properties": {
                "type": {"type": "integer"},
                "urls": {"type": "array", "items": {"type": "string"}},
            }},
        }}});
        let schema = json!({"oneOf": [
            {"$ref": "#/components/schemas/Incoming"},
            {"$ref": "#/components/schemas/Outgoing"},
        ]});
        assert_eq!(
            form_fields(&raw, &schema),
            [
                ("type".to_owned(), Kind::String),
                ("enabled".to_owned(), Kind::Boolean),
                ("urls".to_owned(), Kind::Array(Box::new(Kind::String))),
            ]
        );
        // A schema referring to itself ends.
        let raw = json!({"components": {"schemas": {"Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]}}}});
        assert!(form_fields(&raw, &json!({"$ref": "#/components/schemas/Loop"})).is_empty());
    }
}
