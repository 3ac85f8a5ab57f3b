//! Client methods for the operations whose request body is only
//! `multipart/form-data`, which progenitor cannot send. They are emitted
//! here, from the same IR the server is emitted from, as an extra
//! `impl Client` block on progenitor's client:
//!
//! * `multipart::{Operation}`: a struct per operation, one field per part:
//!   binary parts (`format: binary`) are `reqwest::multipart::Part`s (a `Vec`
//!   when the part repeats), other fields are their wire type, sent as text
//!   (strings as they are, anything else as JSON);
//! * `Client::{operation}(path and query parameters..., body)`: builds the
//!   form, runs progenitor's hooks (`pre`, `exec`, `post`) and answers
//!   progenitor's `ResponseValue` / `Error`, like the generated methods.
//!
//! Method names are what progenitor would call them; type names come from
//! [`crate::names::pascal`], like every other type name.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::ir::{self, Location, MediaKind, Operation, Status, TypeRef};
use crate::names::{NameSet, field_name, pascal};

pub struct MultipartOutput {
    pub tokens: TokenStream,
    pub operations: usize,
}

/// Emit the methods for `operations` (each with a multipart body).
pub fn emit(operations: &[&Operation], raw: &Value, types_crate: &str) -> MultipartOutput {
    if operations.is_empty() {
        return MultipartOutput {
            tokens: quote! {},
            operations: 0,
        };
    }
    let types_crate = format_ident!("{}", types_crate.replace('-', "_"));
    let bodies = operations.iter().map(|op| body_struct(op, raw, &types_crate));
    let methods = operations.iter().map(|op| method(op, raw, &types_crate));
    MultipartOutput {
        tokens: quote! {
            /// Request bodies of the operations sent as `multipart/form-data`
            /// (progenitor sends none): one struct per operation, one field per part.
            pub mod multipart {
                /// The text of one form field: a string as it is, anything else as JSON.
                pub(crate) fn text<T: ::serde::Serialize>(value: &T) -> ::std::string::String {
                    match ::serde_json::to_value(value) {
                        Ok(::serde_json::Value::String(text)) => text,
                        Ok(other) => other.to_string(),
                        Err(_) => ::std::string::String::new(),
                    }
                }

                #(#bodies)*
            }

            /// The operations sent as `multipart/form-data`, emitted by chathooks-codegen
            /// (progenitor cannot send multipart bodies).
            impl Client {
                #(#methods)*
            }
        },
        operations: operations.len(),
    }
}

/// The `multipart/form-data` medium of an operation's body.
fn multipart_media(op: &Operation) -> Option<&ir::Media> {
    op.body.as_ref()?.media.iter().find(|m| m.kind == MediaKind::Multipart)
}

struct Part {
    wire: String,
    field: proc_macro2::Ident,
    required: bool,
    kind: PartKind,
}

enum PartKind {
    File,
    Files,
    Text(TypeRef),
    Texts(TypeRef),
}

fn is_binary(raw: &Value, schema: &Value) -> bool {
    let schema = ir::resolve_schema(raw, schema);
    schema.get("type").and_then(Value::as_str) == Some("string")
        && matches!(schema.get("format").and_then(Value::as_str), Some("binary" | "byte"))
}

fn parts(op: &Operation, raw: &Value) -> Vec<Part> {
    let Some(media) = multipart_media(op) else {
        return Vec::new();
    };
    let schema = ir::resolve_schema(raw, &media.schema);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut fields = NameSet::default();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(wire, property)| {
            let resolved = ir::resolve_schema(raw, property);
            let items = resolved.get("items");
            let is_array = resolved.get("type").and_then(Value::as_str) == Some("array");
            let kind = match (is_binary(raw, property), is_array, items) {
                (true, _, _) => PartKind::File,
                (false, true, Some(items)) if is_binary(raw, items) => PartKind::Files,
                (false, true, Some(items)) => PartKind::Texts(ir::type_ref(raw, items)),
                _ => PartKind::Text(ir::type_ref(raw, property)),
            };
            Part {
                wire: wire.clone(),
                field: format_ident!("{}", fields.unique_snake(&field_name(wire))),
                required: required.contains(&wire.as_str()),
                kind,
            }
        })
        .collect()
}

pub(crate) fn type_tokens(ty: &TypeRef, types_crate: &proc_macro2::Ident) -> TokenStream {
    match ty {
        TypeRef::Named(name) => {
            let ident = format_ident!("{}", name);
            quote! { #types_crate::#ident }
        }
        TypeRef::String => quote! { ::std::string::String },
        TypeRef::I32 => quote! { i32 },
        TypeRef::I64 => quote! { i64 },
        TypeRef::F64 => quote! { f64 },
        TypeRef::Bool => quote! { bool },
        TypeRef::Bytes => quote! { ::std::vec::Vec<u8> },
        TypeRef::Vec(item) => {
            let item = type_tokens(item, types_crate);
            quote! { ::std::vec::Vec<#item> }
        }
        TypeRef::Map(value) => {
            let value = type_tokens(value, types_crate);
            quote! { ::std::collections::HashMap<::std::string::String, #value> }
        }
        TypeRef::Json => quote! { ::serde_json::Value },
    }
}

fn body_struct(op: &Operation, raw: &Value, types_crate: &proc_macro2::Ident) -> TokenStream {
    let name = format_ident!("{}", pascal(&op.id));
    let method = field_name(&op.id);
    let parts = parts(op, raw);
    let fields = parts.iter().map(|part| {
        let field = &part.field;
        let ty = match &part.kind {
            PartKind::File => quote! { ::reqwest::multipart::Part },
            PartKind::Files => quote! { ::std::vec::Vec<::reqwest::multipart::Part> },
            PartKind::Text(ty) => type_tokens(ty, types_crate),
            PartKind::Texts(ty) => {
                let ty = type_tokens(ty, types_crate);
                quote! { ::std::vec::Vec<#ty> }
            }
        };
        let repeats = matches!(part.kind, PartKind::Files | PartKind::Texts(_));
        let doc = format!(
            " Part `{}`{}{}.",
            part.wire,
            match part.kind {
                PartKind::File | PartKind::Files => " (a file)",
                _ => "",
            },
            if repeats { ", once per element" } else { "" }
        );
        let ty = if part.required || repeats {
            ty
        } else {
            quote! { ::std::option::Option<#ty> }
        };
        quote! { #[doc = #doc] pub #field: #ty, }
    });
    let adds = parts.iter().map(|part| {
        let field = &part.field;
        let wire = &part.wire;
        let add = |value: TokenStream| match &part.kind {
            PartKind::File => quote! { form = form.part(#wire, #value); },
            PartKind::Text(_) => quote! { form = form.text(#wire, text(&#value)); },
            PartKind::Files => quote! { for part in #value { form = form.part(#wire, part); } },
            PartKind::Texts(_) => quote! { for value in #value { form = form.text(#wire, text(&value)); } },
        };
        let repeats = matches!(part.kind, PartKind::Files | PartKind::Texts(_));
        if part.required || repeats {
            add(quote! { self.#field })
        } else {
            let inner = add(quote! { value });
            quote! { if let Some(value) = self.#field { #inner } }
        }
    });
    let doc = format!(
        " Body of [`Client::{method}`](super::Client::{method}): `{} {}`, sent as `multipart/form-data`.",
        op.method.to_uppercase(),
        op.path
    );
    quote! {
        #[doc = #doc]
        pub struct #name { #(#fields)* }

        impl #name {
            /// The form to send.
            pub fn into_form(self) -> ::reqwest::multipart::Form {
                #[allow(unused_mut)]
                let mut form = ::reqwest::multipart::Form::new();
                #(#adds)*
                form
            }
        }
    }
}

fn is_success(status: Status) -> bool {
    match status {
        Status::Code(code) => (200..300).contains(&code),
        Status::Range(range) => range == 2,
        Status::Default => false,
    }
}

/// The pattern of a status in a `match` on `u16`.
fn status_pattern(status: Status) -> Option<TokenStream> {
    match status {
        Status::Code(code) => Some(quote! { #code }),
        Status::Range(range) => {
            let (low, high) = (range * 100, range * 100 + 99);
            Some(quote! { #low..=#high })
        }
        Status::Default => None,
    }
}

/// What a group of responses decodes to: one JSON type, raw bytes, nothing.
#[derive(PartialEq)]
enum Decode {
    Json(TypeRef),
    Stream,
    Empty,
}

fn decode_of(responses: &[&ir::Response]) -> Decode {
    let kinds: Vec<Option<(MediaKind, &TypeRef)>> = responses
        .iter()
        .map(|r| r.content.as_ref().map(|c| (c.kind, &c.ty)))
        .collect();
    match kinds.first() {
        None | Some(None) if kinds.iter().all(Option::is_none) => Decode::Empty,
        Some(Some((MediaKind::Json, ty))) if kinds.iter().all(|k| *k == Some((MediaKind::Json, *ty))) => {
            Decode::Json((*ty).clone())
        }
        _ => Decode::Stream,
    }
}

fn method(op: &Operation, raw: &Value, types_crate: &proc_macro2::Ident) -> TokenStream {
    let name = format_ident!("{}", field_name(&op.id));
    let body_type = format_ident!("{}", pascal(&op.id));
    let operation_id = field_name(&op.id);
    let params: Vec<&ir::Param> = op.params.iter().filter(|p| p.location != Location::Cookie).collect();
    let args = params.iter().map(|param| {
        let field = format_ident!("{}", param.field);
        let ty = type_tokens(&param.ty, types_crate);
        if param.required {
            quote! { #field: #ty, }
        } else {
            quote! { #field: ::std::option::Option<#ty>, }
        }
    });
    // `/a/{b}` -> format!("{}/a/{}", baseurl, encode_path(&b.to_string()))
    let mut template = String::from("{}");
    let mut path_args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        template.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
        template.push_str("{}");
        let name = &rest[start + 1..end];
        if let Some(param) = params.iter().find(|p| p.location == Location::Path && p.name == name) {
            let field = format_ident!("{}", param.field);
            path_args.push(quote! { progenitor_client::encode_path(&#field.to_string()) });
        } else {
            path_args.push(quote! { "" });
        }
        rest = rest.get(end + 1..).unwrap_or("");
    }
    template.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    let queries = params.iter().filter(|p| p.location == Location::Query).map(|param| {
        let field = format_ident!("{}", param.field);
        let wire = &param.name;
        match &param.object {
            // An object: its keys in its style (query_objects, emitted with
            // the client for every object query parameter).
            Some(object) => {
                let style = crate::emit_client::style_tokens(object.style);
                quote! { .query(&crate::query_objects::Pairs::new(#wire, #style, &#field)) }
            }
            None => quote! { .query(&progenitor_client::QueryParam::new(#wire, &#field)) },
        }
    });
    let headers = params.iter().filter(|p| p.location == Location::Header).map(|param| {
        let field = format_ident!("{}", param.field);
        let wire = &param.name;
        if param.required {
            quote! { let request = request.header(#wire, #field.to_string()); }
        } else {
            quote! {
                let request = match &#field {
                    Some(value) => request.header(#wire, value.to_string()),
                    None => request,
                };
            }
        }
    });
    let http_method = format_ident!("{}", op.method.to_lowercase());

    let successes: Vec<&ir::Response> = op.responses.iter().filter(|r| is_success(r.status)).collect();
    let errors: Vec<&ir::Response> = op.responses.iter().filter(|r| !is_success(r.status)).collect();
    let success = decode_of(&successes);
    let (ok_type, ok_value) = match &success {
        Decode::Json(ty) => (
            type_tokens(ty, types_crate),
            quote! { ResponseValue::from_response(response).await },
        ),
        Decode::Stream => (quote! { ByteStream }, quote! { Ok(ResponseValue::stream(response)) }),
        Decode::Empty => (quote! { () }, quote! { Ok(ResponseValue::empty(response)) }),
    };
    let error = decode_of(&errors);
    let (error_type, error_value) = match &error {
        Decode::Json(ty) if !errors.is_empty() => (
            type_tokens(ty, types_crate),
            quote! { Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)) },
        ),
        _ => (quote! { () }, quote! { Err(Error::UnexpectedResponse(response)) }),
    };
    let success_patterns: Vec<TokenStream> = successes.iter().filter_map(|r| status_pattern(r.status)).collect();
    let error_patterns: Vec<TokenStream> = errors.iter().filter_map(|r| status_pattern(r.status)).collect();
    let success_arm = if success_patterns.is_empty() {
        quote! { 200u16..=299u16 => #ok_value, }
    } else {
        quote! { #(#success_patterns)|* => #ok_value, }
    };
    let error_arm = (!error_patterns.is_empty()).then(|| quote! { #(#error_patterns)|* => #error_value, });
    let fallback = if errors.iter().any(|r| r.status == Status::Default) {
        error_value
    } else {
        quote! { Err(Error::UnexpectedResponse(response)) }
    };
    let doc = format!(
        " `{} {}` (operation `{}`), the body sent as `multipart/form-data`.",
        op.method.to_uppercase(),
        op.path,
        op.id
    );
    let summary = op.summary.as_deref().map(|s| {
        let s = format!(" {}", s.trim());
        quote! { #[doc = #s] #[doc = ""] }
    });
    let _ = raw;
    let body = quote! { body: multipart::#body_type };
    quote! {
        #summary
        #[doc = #doc]
        pub async fn #name(&self, #(#args)* #body) -> Result<ResponseValue<#ok_type>, Error<#error_type>> {
            let url = format!(#template, self.baseurl, #(#path_args),*);
            let request = self.client.#http_method(url) #(#queries)*;
            #(#headers)*
            let mut request = request.multipart(body.into_form()).build()?;
            let info = OperationInfo { operation_id: #operation_id };
            self.pre(&mut request, &info).await?;
            let result = self.exec(request, &info).await;
            self.post(&result, &info).await?;
            let response = result?;
            match response.status().as_u16() {
                #success_arm
                #error_arm
                _ => #fallback,
            }
        }
    }
}
