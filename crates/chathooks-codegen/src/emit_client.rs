//! The client crate, by progenitor (builder style), over the types crate.
//!
//! progenitor takes a narrower OpenAPI than we serve, so it is handed an
//! adapted copy of the normalized spec (spec/ itself is never touched); every
//! adaptation is listed in the generated file's header:
//!
//! * one request media type per operation (JSON, else form, text, bytes);
//!   operations with none of those but multipart/form-data are handed to
//!   [`crate::emit_multipart`] instead;
//! * within the success responses, and within the error responses, one body
//!   type: where they differ, all of that group become raw bytes;
//! * cookie parameters are dropped (operations requiring one are left out);
//! * parameters given as `content` (a JSON document in the query) are
//!   taken as their text;
//! * object-valued query parameters (`form` or `deepObject` style) are
//!   handed over as types of our own (`query_objects`), made from the wire
//!   type, that write the object's keys in the parameter's style (progenitor
//!   writes every object as exploded form keys and refuses `deepObject`);
//! * an operation progenitor still refuses is left out, by itself.

use openapiv3::OpenAPI;
use proc_macro2::TokenStream;
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use serde_json::{Map, Value, json};

use crate::catch::catch;
use crate::diagnostics::{Diagnostic, Severity};
use crate::emit_multipart::type_tokens;
use crate::ir::{ObjectStyle, TypeRef, is_object_query, type_ref};
use crate::names::{NameSet, pascal};
use crate::normalize::{METHODS, operations, refs_in};

pub struct ClientOutput {
    pub tokens: TokenStream,
    /// Operations whose body is only multipart/form-data, left to
    /// [`crate::emit_multipart`]: their operation ids.
    pub multipart: Vec<String>,
    /// One line per adaptation, for the file header.
    pub adaptations: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    pub operations: usize,
}

/// The copy of the normalized spec progenitor is handed, with what was
/// adapted, what was left out, and the multipart operations set aside.
pub struct Adapted {
    pub spec: Value,
    pub adaptations: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    pub multipart: Vec<String>,
    pub query_objects: Vec<QueryObject>,
}

/// An object-valued query parameter, handed to progenitor as a type of our
/// own (`query_objects::{type_name}`) that writes it in its style.
#[derive(Debug, Clone)]
pub struct QueryObject {
    /// The type's name, also the placeholder component progenitor is given.
    pub type_name: String,
    /// The parameter's name in the query.
    pub name: String,
    pub operation: String,
    pub style: ObjectStyle,
    /// The wire type the object is made from.
    pub ty: TypeRef,
}

pub fn adapt(raw: &Value) -> Adapted {
    let mut spec = raw.clone();
    let mut adaptations = Vec::new();
    let mut diagnostics = Vec::new();
    let mut multipart = Vec::new();
    let mut query_objects = Vec::new();
    let mut type_names = NameSet::default();
    for name in raw["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| name)
    {
        type_names.reserve(name);
    }

    for (path, method) in operations(&spec) {
        let operation = &mut spec["paths"][&path][method];
        let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
        adapt_query_objects(
            raw,
            operation,
            &id,
            &mut type_names,
            &mut query_objects,
            &mut adaptations,
        );
        match adapt_operation(operation, &mut adaptations, &id) {
            Ok(()) => {}
            Err(Refusal::Multipart) => {
                let mut ignored = Vec::new();
                skip(&mut spec, &path, method, &id, String::new(), &mut ignored);
                multipart.push(id);
            }
            Err(Refusal::Other(reason)) => skip(&mut spec, &path, method, &id, reason, &mut diagnostics),
        }
    }
    if let Some(schemas) = spec["components"]["schemas"].as_object_mut() {
        for object in &query_objects {
            // A placeholder: progenitor is told the type's path instead.
            schemas.insert(object.type_name.clone(), json!({ "type": "object" }));
        }
    }
    Adapted {
        spec,
        adaptations,
        diagnostics,
        multipart,
        query_objects,
    }
}

/// Hand each object-valued query parameter of `operation` over as a
/// reference to a type of our own, in the form style progenitor takes.
fn adapt_query_objects(
    raw: &Value,
    operation: &mut Value,
    id: &str,
    type_names: &mut NameSet,
    query_objects: &mut Vec<QueryObject>,
    adaptations: &mut Vec<String>,
) {
    let Some(Value::Array(params)) = operation.get_mut("parameters") else {
        return;
    };
    for param in params.iter_mut() {
        if param["in"] != "query" || param.get("content").is_some() {
            continue;
        }
        let Some(schema) = param.get("schema") else { continue };
        let style = ObjectStyle::of(param["style"].as_str(), param["explode"].as_bool());
        if !is_object_query(raw, schema, style) {
            continue;
        }
        let name = param["name"].as_str().unwrap_or_default().to_owned();
        let type_name = type_names.unique_type(&format!("{}{}Query", pascal(id), pascal(&name)));
        adaptations.push(format!(
            "{id}: parameter `{name}` is an object ({}); the client writes it as `query_objects::{type_name}`",
            match style {
                ObjectStyle::FormExploded => "form style, exploded",
                ObjectStyle::Form => "form style, not exploded",
                ObjectStyle::DeepObject => "deepObject style",
            }
        ));
        query_objects.push(QueryObject {
            type_name: type_name.clone(),
            name,
            operation: id.to_owned(),
            style,
            ty: type_ref(raw, schema),
        });
        if let Some(object) = param.as_object_mut() {
            object.remove("style");
            object.remove("explode");
            object.insert(
                "schema".into(),
                json!({ "$ref": format!("#/components/schemas/{type_name}") }),
            );
        }
    }
}

/// The `query_objects` module: [`QueryObject`]s' types, and `Pairs`, which
/// writes an object's query keys in a style (the multipart methods use it
/// directly). Empty when the spec has no object query parameter.
pub fn query_objects_module(query_objects: &[QueryObject], types_crate: &str) -> TokenStream {
    if query_objects.is_empty() {
        return TokenStream::new();
    }
    let types_ident = quote::format_ident!("{}", types_crate.replace('-', "_"));
    let types = query_objects.iter().map(|object| {
        let ident = quote::format_ident!("{}", object.type_name);
        let inner = type_tokens(&object.ty, &types_ident);
        let name = &object.name;
        let style = style_tokens(object.style);
        let doc = format!(
            " Query parameter `{name}` of `{}`, written in its style; made from the wire type.",
            object.operation
        );
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            pub struct #ident(pub #inner);
            impl ::std::convert::From<#inner> for #ident {
                fn from(value: #inner) -> Self {
                    Self(value)
                }
            }
            impl ::serde::Serialize for #ident {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    ::serde::Serialize::serialize(&Pairs::new(#name, #style, &self.0), serializer)
                }
            }
        }
    });
    quote! {
        /// Object-valued query parameters, written in the style the spec
        /// gives each (`form`: `status=open&limit=3`, or `filter=status,open,limit,3`
        /// when not exploded; `deepObject`: `filter[status]=open&filter[limit]=3`).
        /// An array property is its key repeated; a nested object, JSON text.
        pub mod query_objects {
            /// How an object is spelled in the query string.
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum Style {
                FormExploded,
                Form,
                DeepObject,
            }
            /// The query pairs of an object given as parameter `name` in a style.
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct Pairs(pub ::std::vec::Vec<(::std::string::String, ::std::string::String)>);
            impl Pairs {
                pub fn new<T: ::serde::Serialize>(name: &str, style: Style, value: &T) -> Self {
                    let mut pairs = ::std::vec::Vec::new();
                    let mut flat: ::std::vec::Vec<::std::string::String> = ::std::vec::Vec::new();
                    let ::std::result::Result::Ok(::serde_json::Value::Object(object)) = ::serde_json::to_value(value) else {
                        return Self(pairs);
                    };
                    for (key, value) in &object {
                        let values: ::std::vec::Vec<&::serde_json::Value> = match value {
                            ::serde_json::Value::Null => ::std::vec::Vec::new(),
                            ::serde_json::Value::Array(items) => items.iter().collect(),
                            other => ::std::vec![other],
                        };
                        for value in values {
                            let text = match value {
                                ::serde_json::Value::String(text) => text.clone(),
                                other => other.to_string(),
                            };
                            match style {
                                Style::FormExploded => pairs.push((key.clone(), text)),
                                Style::DeepObject => pairs.push((::std::format!("{name}[{key}]"), text)),
                                Style::Form => {
                                    flat.push(key.clone());
                                    flat.push(text);
                                }
                            }
                        }
                    }
                    if style == Style::Form {
                        pairs.push((name.to_owned(), flat.join(",")));
                    }
                    Self(pairs)
                }
            }
            impl ::serde::Serialize for Pairs {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    use ::serde::ser::SerializeMap;
                    let mut map = serializer.serialize_map(::std::option::Option::Some(self.0.len()))?;
                    for (key, value) in &self.0 {
                        map.serialize_entry(key, value)?;
                    }
                    map.end()
                }
            }
            #(#types)*
        }
    }
}

/// `query_objects::Style::…` for a style.
pub fn style_tokens(style: ObjectStyle) -> TokenStream {
    match style {
        ObjectStyle::FormExploded => quote! { crate::query_objects::Style::FormExploded },
        ObjectStyle::Form => quote! { crate::query_objects::Style::Form },
        ObjectStyle::DeepObject => quote! { crate::query_objects::Style::DeepObject },
    }
}

pub fn emit(raw: &Value, types_crate: &str) -> Result<ClientOutput, String> {
    let Adapted {
        mut spec,
        adaptations,
        mut diagnostics,
        multipart,
        query_objects,
    } = adapt(raw);
    let settings = settings(raw, types_crate, &query_objects);
    let attempt = |spec: &Value| -> Result<TokenStream, String> {
        let parsed: OpenAPI = serde_json::from_value(spec.clone()).map_err(|e| format!("spec does not parse: {e}"))?;
        catch(|| {
            Generator::new(&settings)
                .generate_tokens(&parsed)
                .map_err(|e| e.to_string())
        })
    };

    let tokens = match attempt(&spec) {
        Ok(tokens) => tokens,
        Err(_) => {
            // Find the operations progenitor refuses, each tried alone with
            // only the components it reaches: the cost of an attempt is that
            // operation's size, not the spec's, so finding them stays linear.
            for (path, method) in operations(&spec) {
                let alone = only_operation(&spec, &path, method);
                if let Err(reason) = attempt(&alone) {
                    let id = spec["paths"][&path][method]["operationId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    skip(&mut spec, &path, method, &id, reason, &mut diagnostics);
                }
            }
            attempt(&spec)?
        }
    };
    let count = operations(&spec).len();
    let module = query_objects_module(&query_objects, types_crate);
    Ok(ClientOutput {
        tokens: quote! { #tokens #module },
        multipart,
        adaptations,
        diagnostics,
        operations: count,
    })
}

/// The shape of our clients: builder-style methods on one `Client`. The
/// benchmark's progenitor baseline makes its client in the same shape.
pub fn style() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged);
    settings
}

fn settings(raw: &Value, types_crate: &str, query_objects: &[QueryObject]) -> GenerationSettings {
    let mut settings = style();
    let krate = types_crate.replace('-', "_");
    for (name, schema) in raw["components"]["schemas"].as_object().into_iter().flatten() {
        let string_enum = schema.get("enum").is_some() && schema.get("type").and_then(Value::as_str) == Some("string");
        let impls: Vec<TypeImpl> = if string_enum {
            vec![TypeImpl::Display, TypeImpl::FromStr]
        } else {
            Vec::new()
        };
        settings.with_replacement(name, format!("{krate}::{name}"), impls.into_iter());
    }
    for object in query_objects {
        let name = &object.type_name;
        settings.with_replacement(name, format!("crate::query_objects::{name}"), std::iter::empty());
    }
    settings
}

fn skip(spec: &mut Value, path: &str, method: &str, id: &str, reason: String, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.push(Diagnostic {
        severity: Severity::Skipped,
        location: crate::diagnostics::pointer(&["paths", path, method]),
        operation: Some(id.to_owned()),
        target: "client",
        message: reason,
    });
    if let Some(item) = spec["paths"].get_mut(path).and_then(Value::as_object_mut) {
        item.remove(method);
        if !item.keys().any(|k| METHODS.contains(&k.as_str())) {
            spec["paths"].as_object_mut().map(|paths| paths.remove(path));
        }
    }
}

/// The spec with one operation and the component schemas it reaches.
fn only_operation(spec: &Value, path: &str, method: &str) -> Value {
    let operation = spec["paths"][path][method].clone();
    let mut alone = Map::new();
    for (key, value) in spec.as_object().into_iter().flatten() {
        if key != "paths" && key != "components" {
            alone.insert(key.clone(), value.clone());
        }
    }
    let mut components = spec["components"].clone();
    if let Some(object) = components.as_object_mut() {
        object.insert("schemas".into(), Value::Object(reachable_schemas(spec, &operation)));
    }
    alone.insert("components".into(), components);
    alone.insert("paths".into(), json!({ path: { method: operation } }));
    Value::Object(alone)
}

/// The component schemas `from` refers to, directly or through others.
fn reachable_schemas(spec: &Value, from: &Value) -> Map<String, Value> {
    let all = &spec["components"]["schemas"];
    let mut out = Map::new();
    let mut queue = Vec::new();
    refs_in(from, &mut queue);
    while let Some(name) = queue.pop() {
        if out.contains_key(&name) {
            continue;
        }
        if let Some(schema) = all.get(&name) {
            refs_in(schema, &mut queue);
            out.insert(name, schema.clone());
        }
    }
    out
}

fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

enum Refusal {
    /// The body is only multipart/form-data: for our own emitter.
    Multipart,
    Other(String),
}

impl From<&str> for Refusal {
    fn from(reason: &str) -> Self {
        Refusal::Other(reason.to_owned())
    }
}

fn adapt_operation(operation: &mut Value, adaptations: &mut Vec<String>, id: &str) -> Result<(), Refusal> {
    if let Some(object) = operation.as_object_mut() {
        object.remove("security");
    }
    // Parameters: no cookies.
    if let Some(Value::Array(params)) = operation.get_mut("parameters") {
        if params.iter().any(|p| p["in"] == "cookie" && p["required"] == true) {
            return Err("requires a cookie parameter, which progenitor does not support".into());
        }
        let before = params.len();
        params.retain(|p| p["in"] != "cookie");
        if params.len() != before {
            adaptations.push(format!("{id}: cookie parameters dropped"));
        }
        // progenitor refuses parameters given as `content`: the client
        // sends their serialized text, which the caller makes.
        for param in params.iter_mut() {
            let Some(object) = param.as_object_mut() else { continue };
            if object.remove("content").is_some() {
                object.insert("schema".into(), json!({ "type": "string" }));
                adaptations.push(format!(
                    "{id}: parameter `{}` is a serialized document (`content`); the client takes its text (e.g. JSON)",
                    object.get("name").and_then(Value::as_str).unwrap_or("?")
                ));
            }
        }
    }
    // Request body: one media type progenitor supports.
    if let Some(Value::Object(content)) = operation.get_mut("requestBody").and_then(|b| b.get_mut("content")) {
        let preference = [
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "application/octet-stream",
        ];
        let chosen = preference.iter().find_map(|wanted| {
            content
                .iter()
                .find(|(ct, _)| essence(ct) == *wanted)
                .map(|(ct, m)| (ct.clone(), m.clone()))
        });
        let Some((content_type, mut media)) = chosen else {
            if content.keys().any(|ct| essence(ct) == "multipart/form-data") {
                return Err(Refusal::Multipart);
            }
            let listed = content.keys().cloned().collect::<Vec<_>>().join(", ");
            return Err(Refusal::Other(format!(
                "request body media types ({listed}) are not supported by progenitor"
            )));
        };
        if content.len() > 1 {
            let dropped: Vec<String> = content.keys().filter(|ct| **ct != content_type).cloned().collect();
            adaptations.push(format!(
                "{id}: request body sent as {content_type} only (also accepts {})",
                dropped.join(", ")
            ));
        }
        if let Some(object) = media.as_object_mut() {
            object.remove("encoding");
        }
        match essence(&content_type).as_str() {
            "application/octet-stream" => media["schema"] = json!({ "type": "string", "format": "binary" }),
            "text/plain" => media["schema"] = json!({ "type": "string" }),
            _ => {
                if media.get("schema").is_none() {
                    media["schema"] = json!({});
                }
            }
        }
        let mut only = Map::new();
        only.insert(essence(&content_type), media);
        *content = only;
    }
    // Responses: one body type per group.
    if let Some(Value::Object(responses)) = operation.get_mut("responses") {
        for response in responses.values_mut() {
            if let Some(Value::Object(content)) = response.get_mut("content") {
                for media in content.values_mut() {
                    if let Some(object) = media.as_object_mut() {
                        object.remove("encoding");
                        object.entry("schema").or_insert(json!({}));
                    }
                }
            }
        }
        // progenitor counts `default` as a success too; when it only describes
        // errors (its body differs from the successes'), hand it over as the
        // 4XX and 5XX ranges instead.
        if let Some(default) = responses.get("default").cloned() {
            let success: std::collections::BTreeSet<String> = responses
                .iter()
                .filter(|(s, _)| s.starts_with('2'))
                .map(|(_, r)| response_kind(r))
                .collect();
            if !success.is_empty() && !success.contains(&response_kind(&default)) {
                responses.remove("default");
                for range in ["4XX", "5XX"] {
                    responses.entry(range).or_insert_with(|| default.clone());
                }
                adaptations.push(format!("{id}: the `default` answer is handed over as 4XX and 5XX"));
            }
        }
        for (group, is_member) in [
            (
                "success",
                (|s: &str| s.starts_with('2') || s == "default") as fn(&str) -> bool,
            ),
            ("error", |s: &str| {
                s.starts_with('4') || s.starts_with('5') || s == "default"
            }),
        ] {
            let kinds: std::collections::BTreeSet<String> = responses
                .iter()
                .filter(|(status, _)| is_member(status))
                .map(|(_, response)| response_kind(response))
                .collect();
            if kinds.len() > 1 {
                for (_, response) in responses.iter_mut().filter(|(status, _)| is_member(status)) {
                    response["content"] =
                        json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } });
                }
                adaptations.push(format!(
                    "{id}: {group} responses differ in body type; the client returns them as raw bytes"
                ));
            }
        }
    }
    Ok(())
}

/// What progenitor would make of a response: a JSON type, raw bytes or nothing.
fn response_kind(response: &Value) -> String {
    match response.get("content").and_then(Value::as_object) {
        Some(content) if !content.is_empty() => {
            match content.iter().find(|(ct, _)| essence(ct) == "application/json") {
                Some((_, media)) => format!("json:{}", media.get("schema").map(Value::to_string).unwrap_or_default()),
                None => "raw".into(),
            }
        }
        _ => "none".into(),
    }
}
