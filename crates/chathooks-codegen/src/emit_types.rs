//! The types crate: every wire type, once. typify (through progenitor's
//! settings) does the work; objects whose property names collide as Rust
//! fields are emitted here instead and typify is told to use them.

use std::collections::BTreeSet;

use openapiv3::OpenAPI;
use proc_macro2::TokenStream;
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::catch::catch;
use crate::ir::{TypeRef, type_ref};
use crate::names::{NameSet, snake};

pub struct TypesOutput {
    pub tokens: TokenStream,
    pub count: usize,
}

pub fn emit(spec: &OpenAPI, raw: &Value, colliding: &BTreeSet<String>) -> Result<TypesOutput, String> {
    let mut settings = GenerationSettings::new();
    settings.with_interface(InterfaceStyle::Positional);
    for name in colliding {
        settings.with_replacement(name, name, std::iter::empty());
    }
    let mut types_only = spec.clone();
    types_only.paths = Default::default();
    let tokens = catch(|| {
        let mut generator = Generator::new(&settings);
        generator.generate_tokens(&types_only).map_err(|e| e.to_string())?;
        Ok(generator.get_type_space().to_stream())
    })?;
    let custom = colliding.iter().filter_map(|name| {
        let schema = raw["components"]["schemas"].get(name)?;
        Some(custom_struct(raw, name, schema))
    });
    let count = raw["components"]["schemas"].as_object().map_or(0, |m| m.len());
    Ok(TypesOutput {
        tokens: quote! { #tokens #(#custom)* },
        count,
    })
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
            let field = format_ident!("{}", fields.unique_snake(&snake(wire)));
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
