//! The types crate: every wire type, once. typify (through progenitor's
//! settings) does the work; objects whose property names collide as Rust
//! fields are emitted here instead and typify is told to use them.

use std::collections::BTreeSet;

use openapiv3::OpenAPI;
use proc_macro2::TokenStream;
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle};
use quote::{format_ident, quote};
use serde_json::{Map, Value, json};

use crate::catch::catch;
use crate::diagnostics::{Diagnostic, Severity, pointer};
use crate::ir::{TypeRef, type_ref};
use crate::names::{NameSet, field_name};
use crate::normalize::refs_in;

pub struct TypesOutput {
    pub tokens: TokenStream,
    pub count: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// typify over the component schemas. Should it panic, the schemas it
/// cannot take are found and emitted as untyped JSON (`serde_json::Value`
/// newtypes under the same name), each with a diagnostic naming it and the
/// panic: first each schema alone with the schemas it refers to stubbed out
/// (linear in the spec's size), then, for what is left, each with the schemas
/// it reaches.
pub fn emit(raw: &Value, colliding: &BTreeSet<String>) -> Result<TypesOutput, String> {
    let mut settings = GenerationSettings::new();
    settings.with_interface(InterfaceStyle::Positional);
    for name in colliding {
        settings.with_replacement(name, name, std::iter::empty());
    }
    let attempt = |schemas: Map<String, Value>| -> Result<TokenStream, String> {
        let spec = json!({
            "openapi": "3.0.3",
            "info": { "title": "types", "version": "0" },
            "paths": {},
            "components": { "schemas": schemas },
        });
        let parsed: OpenAPI = serde_json::from_value(spec).map_err(|e| format!("schemas do not parse: {e}"))?;
        catch(|| {
            let mut generator = Generator::new(&settings);
            generator.generate_tokens(&parsed).map_err(|e| e.to_string())?;
            Ok(generator.get_type_space().to_stream())
        })
    };
    let mut schemas = raw["components"]["schemas"].as_object().cloned().unwrap_or_default();
    let mut diagnostics = Vec::new();
    let tokens = match attempt(schemas.clone()) {
        Ok(tokens) => tokens,
        Err(first_error) => {
            let mut refused: Vec<(String, String)> = Vec::new();
            let names: Vec<String> = schemas.keys().cloned().collect();
            // Schemas alone, what they refer to stubbed out: in groups, and
            // one by one within a group that fails.
            for group in names.chunks(PROBE_GROUP) {
                if attempt(probe(&schemas, group, true)).is_ok() {
                    continue;
                }
                for name in group {
                    if let Err(reason) = attempt(probe(&schemas, std::slice::from_ref(name), true)) {
                        refused.push((name.clone(), reason));
                    }
                }
            }
            for (name, _) in &refused {
                schemas.insert(name.clone(), json!({}));
            }
            // What fails only with what it reaches (an allOf merging another
            // schema's constraints): each with its closure.
            if attempt(schemas.clone()).is_err() {
                for name in &names {
                    if refused.iter().any(|(n, _)| n == name) {
                        continue;
                    }
                    if let Err(reason) = attempt(probe(&schemas, std::slice::from_ref(name), false)) {
                        refused.push((name.clone(), reason));
                        schemas.insert(name.clone(), json!({}));
                    }
                }
            }
            for (name, reason) in &refused {
                diagnostics.push(Diagnostic {
                    severity: Severity::Adapted,
                    location: pointer(&["components", "schemas", name]),
                    operation: None,
                    target: "types",
                    message: format!("typify refuses this schema ({reason}); it is emitted as untyped JSON"),
                });
            }
            attempt(schemas.clone()).map_err(|e| format!("{e} (first attempt: {first_error})"))?
        }
    };
    let custom = colliding.iter().filter_map(|name| {
        let schema = raw["components"]["schemas"].get(name)?;
        Some(custom_struct(raw, name, schema))
    });
    let count = raw["components"]["schemas"].as_object().map_or(0, |m| m.len());
    Ok(TypesOutput {
        tokens: quote! { #tokens #(#custom)* },
        count,
        diagnostics,
    })
}

/// How many schemas one probe takes at first.
const PROBE_GROUP: usize = 64;

/// The schemas `group`, with what they refer to: stubbed out as `{}`, or
/// (`stubbed` false) as it is, transitively.
fn probe(schemas: &Map<String, Value>, group: &[String], stubbed: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let mut queue = Vec::new();
    for name in group {
        if let Some(schema) = schemas.get(name) {
            refs_in(schema, &mut queue);
        }
    }
    while let Some(other) = queue.pop() {
        if out.contains_key(&other) || group.contains(&other) {
            continue;
        }
        match schemas.get(&other) {
            Some(_) if stubbed => {
                out.insert(other, json!({}));
            }
            Some(target) => {
                refs_in(target, &mut queue);
                out.insert(other, target.clone());
            }
            None => {}
        }
    }
    for name in group {
        if let Some(schema) = schemas.get(name) {
            out.insert(name.clone(), schema.clone());
        }
    }
    out
}

/// A plain serde struct whose field names are made unique by numbering.
fn custom_struct(raw: &Value, name: &str, schema: &Value) -> TokenStream {
    let ident = format_ident!("{}", name);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut fields = NameSet::default();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(wire, property)| {
            let field = format_ident!("{}", fields.unique_snake(&field_name(wire)));
            let ty = field_type(&type_ref(raw, property));
            let doc = property
                .get("description")
                .and_then(Value::as_str)
                .map(|d| quote! { #[doc = #d] });
            if required.contains(&wire.as_str()) {
                quote! { #doc #[serde(rename = #wire)] pub #field: #ty, }
            } else {
                quote! {
                    #doc
                    #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
                    pub #field: Option<#ty>,
                }
            }
        });
    let doc = schema
        .get("description")
        .and_then(Value::as_str)
        .map(|d| quote! { #[doc = #d] });
    quote! {
        #doc
        #[derive(Clone, Debug, ::serde::Deserialize, ::serde::Serialize)]
        pub struct #ident { #(#properties)* }
    }
}

fn field_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Named(name) => {
            let ident = format_ident!("{}", name);
            quote! { #ident }
        }
        TypeRef::String => quote! { ::std::string::String },
        TypeRef::I32 => quote! { i32 },
        TypeRef::I64 => quote! { i64 },
        TypeRef::F64 => quote! { f64 },
        TypeRef::Bool => quote! { bool },
        TypeRef::Bytes => quote! { ::std::vec::Vec<u8> },
        TypeRef::Vec(item) => {
            let item = field_type(item);
            quote! { ::std::vec::Vec<#item> }
        }
        TypeRef::Map(value) if **value == TypeRef::Json => {
            quote! { ::serde_json::Map<::std::string::String, ::serde_json::Value> }
        }
        TypeRef::Map(value) => {
            let value = field_type(value);
            quote! { ::std::collections::HashMap<::std::string::String, #value> }
        }
        TypeRef::Json => quote! { ::serde_json::Value },
    }
}
