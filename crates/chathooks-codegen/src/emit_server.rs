//! The server crate: one async trait method per operation, a request struct
//! and a response enum per operation, and an axum router doing the HTTP work
//! through `chathooks-runtime`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::ir::{Api, Kind, Location, MediaKind, ObjectStyle, Operation, Param, Response, SchemeKind, Status, TypeRef};
use crate::names::{pascal, snake};
use crate::schema_json;

pub struct ServerOutput {
    pub lib: TokenStream,
    /// Shared schema definitions, pretty JSON, included by the lib.
    pub schemas_json: String,
}

pub fn emit(api: &Api, raw: &Value, types_crate: &str) -> ServerOutput {
    let types_crate = format_ident!("{}", types_crate.replace('-', "_"));
    let credentials = credentials_enum(api);
    let methods = api.operations.iter().map(trait_method);
    let securities = securities(api);
    let security_module = security_module(api, &securities);
    let modules = api.operations.iter().map(|op| operation_module(api, &securities, op));
    let routes = api.operations.iter().map(|op| {
        let module = format_ident!("{}", op.snake);
        quote! { .serve::<ops::#module::Request>() }
    });
    let title = format!(" The {} API, to be implemented by a server.", api.title);
    let schemas_json = serde_json::to_string_pretty(&schema_json::definitions(raw)).unwrap_or_default() + "\n";

    let mut crate_doc = format!("Server side of {} (version {}).", api.title, api.version);
    if let Some(description) = &api.description {
        crate_doc.push_str(&format!("\n\n{}", description.trim()));
    }
    for (url, description) in &api.servers {
        crate_doc.push_str(&format!("\n\n- server `{url}`"));
        if let Some(description) = description {
            crate_doc.push_str(&format!(": {}", description.trim()));
        }
    }
    for tag in &api.tags {
        crate_doc.push_str(&format!("\n\n- tag `{}`", tag.name));
        if let Some(description) = &tag.description {
            crate_doc.push_str(&format!(": {}", description.trim()));
        }
    }
    let crate_doc = crate_doc.lines().map(|line| {
        let line = format!(" {line}");
        quote! { #![doc = #line] }
    });
    let lib = quote! {
        #(#crate_doc)*

        use std::future::Future;
        use std::sync::Arc;

        pub use chathooks_runtime as runtime;
        pub use #types_crate as types;

        use chathooks_runtime::axum;

        #credentials

        #[doc = #title]
        ///
        /// Every method receives a typed, validated request and returns the
        /// operation's response enum, whose variants are the statuses the spec
        /// documents. Requests that fail validation or authentication never
        /// reach these methods: they go to [`Api::request_error`].
        pub trait Api: Send + Sync + 'static {
            #(#methods)*

            /// Answer a request refused before an operation method was called
            /// (invalid input: 400, missing credentials: 401, unsupported
            /// content type: 415, body too large: 413). Override it to answer
            /// in the API's own error format.
            fn request_error(&self, error: runtime::RequestError) -> axum::response::Response {
                error.default_response()
            }
        }

        /// Response enums able to carry any error status with one body type:
        /// the documented variant for the status, else `Default`. Implemented
        /// for every operation whose errors all share a body type and which
        /// documents a `default` answer.
        pub trait ErrorResponse<T>: Sized {
            fn error(status: axum::http::StatusCode, body: T) -> Self;
        }

        #security_module

        /// Per-operation request and response types. Each `Request` is the
        /// operation's [`runtime::Endpoint`]: its static spec, how it is taken
        /// from a validated request, and the [`Api`] method serving it.
        // `call` answers the operation's `Response`, more precisely than the
        // trait's `impl IntoResponse`, on purpose.
        #[allow(refining_impl_trait)]
        pub mod ops {
            #(#modules)*
        }

        /// The spec's schemas as draft-4 JSON Schema definitions.
        const SCHEMAS: &str = include_str!("schemas.json");

        /// An axum router serving every operation at its spec path.
        pub fn router<A: Api>(api: Arc<A>) -> axum::Router {
            runtime::Router::new(api, SCHEMAS, A::request_error)
                #(#routes)*
                .finish()
        }
    };
    ServerOutput { lib, schemas_json }
}

fn credential_variant(requirement: &[String]) -> proc_macro2::Ident {
    format_ident!("{}", pascal(&requirement.join(" ")))
}

fn credentials_enum(api: &Api) -> TokenStream {
    let variants = api.requirements.iter().map(|requirement| {
        let variant = credential_variant(requirement);
        let doc = format!(" Presented per security requirement `{}`.", requirement.join(" + "));
        if requirement.len() == 1 {
            quote! { #[doc = #doc] #variant(String), }
        } else {
            let fields = requirement.iter().map(|name| format_ident!("{}", snake(name)));
            quote! { #[doc = #doc] #variant { #(#fields: String),* }, }
        }
    });
    let scheme_docs = api.schemes.iter().map(|scheme| {
        let mut doc = match &scheme.kind {
            SchemeKind::Http { scheme: s } => format!(" - `{}`: `Authorization: {s} <credential>`", scheme.name),
            SchemeKind::ApiKey { location, name } => {
                format!(" - `{}`: {} `{name}`", scheme.name, location_name(*location))
            }
        };
        if let Some(description) = &scheme.description {
            doc.push_str(&format!(". {}", description.trim().replace('\n', " ")));
        }
        quote! { #[doc = #doc] }
    });
    quote! {
        /// The credentials a request presented, by the security requirement
        /// they satisfied. Validating them is up to the implementation.
        ///
        /// Security schemes:
        #(#scheme_docs)*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Credentials {
            #(#variants)*
        }
    }
}

fn location_name(location: Location) -> &'static str {
    match location {
        Location::Path => "path parameter",
        Location::Query => "query parameter",
        Location::Header => "header",
        Location::Cookie => "cookie",
    }
}

fn doc_lines(text: &str) -> TokenStream {
    let lines = text.trim_end().lines().map(|line| {
        let line = format!(" {line}");
        quote! { #[doc = #line] }
    });
    quote! { #(#lines)* }
}

fn operation_doc(op: &Operation) -> TokenStream {
    let mut text = String::new();
    if let Some(summary) = &op.summary {
        text.push_str(summary.trim());
        text.push_str("\n\n");
    }
    if let Some(description) = &op.description {
        text.push_str(description.trim());
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "`{} {}` (operation `{}`)",
        op.method.to_uppercase(),
        op.path,
        op.id
    ));
    doc_lines(&text)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    None,
    Required,
    Optional,
}

fn auth(op: &Operation) -> Auth {
    if op.security.is_empty() || op.security.iter().all(Vec::is_empty) {
        Auth::None
    } else if op.security.iter().any(Vec::is_empty) {
        Auth::Optional
    } else {
        Auth::Required
    }
}

fn trait_method(op: &Operation) -> TokenStream {
    let name = format_ident!("{}", op.snake);
    let module = format_ident!("{}", op.snake);
    let doc = operation_doc(op);
    let deprecated = op.deprecated.then(|| quote! { #[deprecated] });
    let credentials = match auth(op) {
        Auth::None => quote! {},
        Auth::Required => quote! { credentials: Credentials, },
        Auth::Optional => quote! { credentials: Option<Credentials>, },
    };
    quote! {
        #doc
        #deprecated
        fn #name(&self, #credentials request: ops::#module::Request) -> impl Future<Output = ops::#module::Response> + Send;
    }
}

pub fn type_tokens(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Named(name) => {
            let ident = format_ident!("{}", name);
            quote! { crate::types::#ident }
        }
        TypeRef::String => quote! { String },
        TypeRef::I32 => quote! { i32 },
        TypeRef::I64 => quote! { i64 },
        TypeRef::F64 => quote! { f64 },
        TypeRef::Bool => quote! { bool },
        TypeRef::Bytes => quote! { crate::runtime::Binary },
        TypeRef::Vec(item) => {
            let item = type_tokens(item);
            quote! { Vec<#item> }
        }
        TypeRef::Map(value) if **value == TypeRef::Json => {
            quote! { crate::runtime::serde_json::Map<String, crate::runtime::serde_json::Value> }
        }
        TypeRef::Map(value) => {
            let value = type_tokens(value);
            quote! { std::collections::HashMap<String, #value> }
        }
        TypeRef::Json => quote! { crate::runtime::serde_json::Value },
    }
}

fn param_type(param: &Param) -> TokenStream {
    let ty = type_tokens(&param.ty);
    if param.required || param.default.is_some() {
        ty
    } else {
        quote! { Option<#ty> }
    }
}

fn runtime_location(location: Location) -> TokenStream {
    match location {
        Location::Path => quote! { runtime::Location::Path },
        Location::Query => quote! { runtime::Location::Query },
        Location::Header => quote! { runtime::Location::Header },
        Location::Cookie => quote! { runtime::Location::Cookie },
    }
}

fn kind_tokens(kind: &Kind) -> TokenStream {
    match kind {
        Kind::String => quote! { runtime::ParamKind::String },
        Kind::Integer => quote! { runtime::ParamKind::Integer },
        Kind::Number => quote! { runtime::ParamKind::Number },
        Kind::Boolean => quote! { runtime::ParamKind::Boolean },
        Kind::Array(item) => {
            let item = kind_tokens(item);
            quote! { runtime::ParamKind::Array(&#item) }
        }
        Kind::Json => quote! { runtime::ParamKind::Json },
    }
}

fn media_kind_tokens(kind: MediaKind) -> TokenStream {
    match kind {
        MediaKind::Json => quote! { runtime::MediaKind::Json },
        MediaKind::Form => quote! { runtime::MediaKind::Form },
        MediaKind::Multipart => quote! { runtime::MediaKind::Multipart },
        MediaKind::Text => quote! { runtime::MediaKind::Text },
        MediaKind::Binary => quote! { runtime::MediaKind::Binary },
    }
}

fn schema_literal(schema: &Value) -> TokenStream {
    str_literal(&serde_json::to_string(&schema_json::convert(schema)).unwrap_or_else(|_| "{}".into()))
}

/// The expression taking the body sent as media `index` from `prepared`:
/// binary bodies as they came, the others deserialized into `ty`.
fn take_body(kind: MediaKind, ty: &TokenStream, index: usize) -> TokenStream {
    let index = Literal::usize_unsuffixed(index);
    if kind == MediaKind::Binary {
        quote! { prepared.binary_body(#index) }
    } else {
        quote! { prepared.body_as::<#ty>(#index)? }
    }
}

fn operation_module(api: &Api, securities: &[SecurityList], op: &Operation) -> TokenStream {
    let module = format_ident!("{}", op.snake);
    let module_doc = format!(" `{}`: `{} {}`", op.id, op.method.to_uppercase(), op.path);

    // Request struct.
    let param_fields = op.params.iter().map(|param| {
        let field = format_ident!("{}", param.field);
        let ty = param_type(param);
        let doc = doc_lines(&format!(
            "{}{} `{}`.",
            param
                .description
                .as_deref()
                .map(|d| format!("{}\n\n", d.trim()))
                .unwrap_or_default(),
            match param.location {
                Location::Path => "Path parameter",
                Location::Query => "Query parameter",
                Location::Header => "Header",
                Location::Cookie => "Cookie",
            },
            param.name
        ));
        quote! { #doc pub #field: #ty, }
    });
    // Multipart bodies: the file parts' contents, beside the parsed fields.
    let multipart = op
        .body
        .as_ref()
        .is_some_and(|body| body.media.iter().any(|m| m.kind == MediaKind::Multipart));
    let (files_field, files_build) = if multipart {
        (
            quote! {
                /// The file parts of a multipart body (their fields in `body` hold the file names).
                pub files: Vec<runtime::UploadedFile>,
            },
            quote! { files: prepared.take_files(), },
        )
    } else {
        (quote! {}, quote! {})
    };
    let (body_field, body_enum, body_build) = match &op.body {
        None => (quote! {}, quote! {}, quote! {}),
        Some(body) => {
            let doc = doc_lines(body.description.as_deref().unwrap_or("The request body."));
            let missing = if body.required {
                quote! { return Err(prepared.missing_body()) }
            } else {
                quote! { None }
            };
            let wrap = |value: TokenStream| {
                if body.required {
                    value
                } else {
                    quote! { Some(#value) }
                }
            };
            if body.media.len() == 1 {
                let media = &body.media[0];
                let ty = type_tokens(&media.ty);
                let field_ty = if body.required {
                    ty
                } else {
                    quote! { Option<#ty> }
                };
                let take = match (media.kind, body.required) {
                    (MediaKind::Binary, true) => quote! { prepared.binary(0)? },
                    (MediaKind::Binary, false) => quote! { prepared.binary_body(0) },
                    (_, true) => quote! { prepared.body(0)? },
                    (_, false) => quote! { prepared.body_as(0)? },
                };
                (quote! { #doc pub body: #field_ty, }, quote! {}, quote! { body: #take, })
            } else {
                let variants = body.media.iter().map(|media| {
                    let variant = format_ident!("{}", media.variant);
                    let ty = type_tokens(&media.ty);
                    let doc = format!(" Sent as `{}`.", media.content_type);
                    quote! { #[doc = #doc] #variant(#ty), }
                });
                let arms = body.media.iter().enumerate().map(|(index, media)| {
                    let variant = format_ident!("{}", media.variant);
                    let ty = type_tokens(&media.ty);
                    let value = wrap(quote! { Body::#variant(body) });
                    let take = take_body(media.kind, &ty, index);
                    quote! { Some(#index) => match #take {
                        Some(body) => #value,
                        None => #missing,
                    }, }
                });
                let field_ty = if body.required {
                    quote! { Body }
                } else {
                    quote! { Option<Body> }
                };
                (
                    quote! { #doc pub body: #field_ty, },
                    quote! {
                        /// The request body, in whichever media type it was sent.
                        #[derive(Debug, Clone)]
                        pub enum Body { #(#variants)* }
                    },
                    quote! {
                        body: match prepared.body_media() {
                            #(#arms)*
                            _ => #missing,
                        },
                    },
                )
            }
        }
    };
    let param_builds = op.params.iter().enumerate().map(|(index, param)| {
        let field = format_ident!("{}", param.field);
        let index = Literal::usize_unsuffixed(index);
        if param.required || param.default.is_some() {
            quote! { #field: prepared.required(#index)?, }
        } else {
            quote! { #field: prepared.optional(#index)?, }
        }
    });

    // Response enum.
    let mut header_structs = Vec::new();
    let variants: Vec<TokenStream> = op
        .responses
        .iter()
        .map(|response| {
            let variant = format_ident!("{}", response.variant);
            let mut fields = Vec::new();
            if matches!(response.status, Status::Range(_) | Status::Default) {
                fields.push(quote! { axum::http::StatusCode });
            }
            if let Some(content) = &response.content {
                fields.push(type_tokens(&content.ty));
            }
            if !response.headers.is_empty() {
                let headers = format_ident!("{}Headers", response.variant);
                fields.push(quote! { #headers });
                let header_fields = response.headers.iter().map(|header| {
                    let field = format_ident!("{}", header.field);
                    let doc = doc_lines(&format!(
                        "{}Header `{}`.",
                        header
                            .description
                            .as_deref()
                            .map(|d| format!("{}\n\n", d.trim()))
                            .unwrap_or_default(),
                        header.name
                    ));
                    let ty = if header.required {
                        quote! { String }
                    } else {
                        quote! { Option<String> }
                    };
                    quote! { #doc pub #field: #ty, }
                });
                let doc = format!(" Headers of the `{}` answer.", response.variant);
                header_structs.push(quote! {
                    #[doc = #doc]
                    #[derive(Debug, Clone, Default, PartialEq)]
                    pub struct #headers { #(#header_fields)* }
                });
            }
            let doc = doc_lines(&format!(
                "{}: {}",
                status_text(response.status),
                response.description.trim()
            ));
            if fields.is_empty() {
                quote! { #doc #variant, }
            } else {
                quote! { #doc #variant(#(#fields),*), }
            }
        })
        .collect();
    let arms = op.responses.iter().map(response_arm);
    let error_impl = error_response_impl(op);

    // Static spec.
    let operation_id = &op.id;
    let http_method = op.method.to_uppercase();
    let path = &op.path;
    // Each parameter as the usual one of its location, and what differs.
    let params = op.params.iter().map(|param| {
        let name = &param.name;
        let base = match param.location {
            Location::Path => quote! { path },
            Location::Query => quote! { query },
            Location::Header => quote! { header },
            Location::Cookie => quote! { cookie },
        };
        let required = (param.required != (param.location == Location::Path)).then(|| {
            let required = param.required;
            quote! { .required(#required) }
        });
        let kind = (param.kind != Kind::String && param.object.is_none()).then(|| {
            let kind = kind_tokens(&param.kind);
            quote! { .kind(#kind) }
        });
        let object = param.object.as_ref().map(|object| {
            let style = match object.style {
                ObjectStyle::FormExploded => quote! { FormExploded },
                ObjectStyle::Form => quote! { Form },
                ObjectStyle::DeepObject => quote! { DeepObject },
            };
            let properties = object.properties.iter().map(|(name, kind)| {
                let kind = kind_tokens(kind);
                quote! { (#name, #kind), }
            });
            let rest = match &object.rest {
                Some(kind) => {
                    let kind = kind_tokens(kind);
                    quote! { Some(#kind) }
                }
                None => quote! { None },
            };
            quote! {
                .object(&runtime::ObjectSpec {
                    style: runtime::ObjectStyle::#style,
                    properties: &[#(#properties)*],
                    rest: #rest,
                })
            }
        });
        let explode = (param.explode != matches!(param.location, Location::Query | Location::Cookie)).then(|| {
            let explode = param.explode;
            quote! { .explode(#explode) }
        });
        let default = param.default.as_ref().map(|value| {
            let text = str_literal(&serde_json::to_string(value).unwrap_or_default());
            quote! { .default(#text) }
        });
        let schema_text = serde_json::to_string(&schema_json::convert(&param.schema)).unwrap_or_else(|_| "{}".into());
        let schema = (schema_text != r#"{"type":"string"}"#).then(|| {
            let schema = str_literal(&schema_text);
            quote! { .schema(#schema) }
        });
        quote! { runtime::ParamSpec::#base(#name) #required #kind #explode #default #object #schema, }
    });
    let body_spec = match &op.body {
        None => quote! { None },
        Some(body) => {
            let base = if body.required {
                quote! { REQUIRED }
            } else {
                quote! { OPTIONAL }
            };
            let lenient_json = body.lenient_json.then(|| quote! { lenient_json: true, });
            let media = body.media.iter().map(|media| {
                let content_type = &media.content_type;
                let kind = media_kind_tokens(media.kind);
                let fields = media.fields.iter().map(|(name, kind)| {
                    let kind = kind_tokens(kind);
                    quote! { (#name, #kind), }
                });
                let schema = match media.kind {
                    MediaKind::Json | MediaKind::Form | MediaKind::Multipart => schema_literal(&media.schema),
                    MediaKind::Text | MediaKind::Binary => quote! { "{}" },
                };
                if media.kind == MediaKind::Json && content_type == "application/json" && media.fields.is_empty() {
                    quote! { runtime::MediaSpec::json(#schema), }
                } else {
                    quote! {
                        runtime::MediaSpec { content_type: #content_type, kind: #kind, fields: &[#(#fields)*], schema: #schema },
                    }
                }
            });
            quote! { Some(runtime::BodySpec { #lenient_json media: &[#(#media)*], ..runtime::BodySpec::#base }) }
        }
    };
    let (security_type, security) = match security_of(securities, op) {
        Some(list) => {
            let name = &list.name;
            (
                quote! { crate::security::#name },
                quote! { crate::security::#name::SCHEMES },
            )
        }
        None => (quote! { runtime::Anonymous }, schemes_tokens(api, &op.security)),
    };
    let method = format_ident!("{}", op.snake);
    let call = match auth(op) {
        Auth::None => quote! {
            async fn call(api: &A, _: (), request: Self) -> Response {
                api.#method(request).await
            }
        },
        Auth::Required => quote! {
            async fn call(api: &A, credentials: Credentials, request: Self) -> Response {
                api.#method(credentials, request).await
            }
        },
        Auth::Optional => quote! {
            async fn call(api: &A, credentials: Option<Credentials>, request: Self) -> Response {
                api.#method(credentials, request).await
            }
        },
    };

    quote! {
        #[doc = #module_doc]
        pub mod #module {
            use crate::{runtime, runtime::axum, Credentials};

            /// The operation's parameters and body, validated against the spec.
            #[derive(Debug, Clone)]
            pub struct Request {
                #(#param_fields)*
                #body_field
                #files_field
            }

            #body_enum

            /// The answers the spec documents, one variant per status.
            #[derive(Debug, Clone)]
            pub enum Response {
                #(#variants)*
                /// One of the answers above, encoded once and served again (a cached page).
                Encoded(runtime::Encoded<Response>),
            }

            #(#header_structs)*

            impl axum::response::IntoResponse for Response {
                fn into_response(self) -> axum::response::Response {
                    match self {
                        #(#arms)*
                        Self::Encoded(encoded) => axum::response::IntoResponse::into_response(encoded),
                    }
                }
            }

            #error_impl

            impl<A: crate::Api> runtime::Endpoint<A> for Request {
                type Security = #security_type;

                const SPEC: &'static runtime::OperationSpec = &runtime::OperationSpec {
                    operation_id: #operation_id,
                    method: #http_method,
                    path: #path,
                    params: &[#(#params)*],
                    body: #body_spec,
                    security: #security,
                };

                fn request(prepared: &mut runtime::Prepared) -> runtime::Result<Self> {
                    Ok(Self {
                        #(#param_builds)*
                        #body_build
                        #files_build
                    })
                }

                #call
            }
        }
    }
}

/// `impl ErrorResponse<T>` when every error answer carries the same body type
/// and a `default` answer catches the undocumented statuses.
fn error_response_impl(op: &Operation) -> TokenStream {
    let is_error = |status: Status| match status {
        Status::Code(code) => code >= 400,
        Status::Range(range) => range >= 4,
        Status::Default => true,
    };
    let errors: Vec<&Response> = op.responses.iter().filter(|r| is_error(r.status)).collect();
    let Some(default) = errors.iter().find(|r| r.status == Status::Default) else {
        return quote! {};
    };
    let Some(body) = default.content.as_ref().map(|c| &c.ty) else {
        return quote! {};
    };
    let uniform = errors
        .iter()
        .all(|r| r.headers.is_empty() && r.content.as_ref().map(|c| &c.ty) == Some(body));
    if !uniform {
        return quote! {};
    }
    let body = type_tokens(body);
    let default_variant = format_ident!("{}", default.variant);
    let codes = errors.iter().filter_map(|r| match r.status {
        Status::Code(code) => {
            let variant = format_ident!("{}", r.variant);
            Some(quote! { #code => Self::#variant(body), })
        }
        _ => None,
    });
    let ranges = errors.iter().filter_map(|r| match r.status {
        Status::Range(range) => {
            let variant = format_ident!("{}", r.variant);
            let (low, high) = (range * 100, range * 100 + 99);
            Some(quote! { #low..=#high => Self::#variant(status, body), })
        }
        _ => None,
    });
    quote! {
        impl crate::ErrorResponse<#body> for Response {
            fn error(status: axum::http::StatusCode, body: #body) -> Self {
                match status.as_u16() {
                    #(#codes)*
                    #(#ranges)*
                    _ => Self::#default_variant(status, body),
                }
            }
        }
    }
}

fn status_text(status: Status) -> String {
    match status {
        Status::Code(code) => code.to_string(),
        Status::Range(range) => format!("{range}XX"),
        Status::Default => "default".into(),
    }
}

fn response_arm(response: &Response) -> TokenStream {
    let variant = format_ident!("{}", response.variant);
    let mut bindings = Vec::new();
    let status = match response.status {
        Status::Code(code) => quote! { #code },
        Status::Range(_) | Status::Default => {
            bindings.push(quote! { status });
            quote! { status }
        }
    };
    let build = match &response.content {
        Some(content) => {
            bindings.push(quote! { body });
            let content_type = &content.content_type;
            match content.kind {
                MediaKind::Text => quote! { runtime::text_response(#status, #content_type, body) },
                MediaKind::Binary => quote! { runtime::binary_response(#status, #content_type, body) },
                _ => quote! { runtime::json_response(#status, &body) },
            }
        }
        None => quote! { runtime::empty_response(#status) },
    };
    let headers = if response.headers.is_empty() {
        quote! {}
    } else {
        bindings.push(quote! { headers });
        let inserts = response.headers.iter().map(|header| {
            let field = format_ident!("{}", header.field);
            let name = header.name.to_ascii_lowercase();
            if header.required {
                quote! { runtime::insert_header(&mut response, #name, &headers.#field); }
            } else {
                quote! { if let Some(value) = &headers.#field { runtime::insert_header(&mut response, #name, value); } }
            }
        });
        quote! { #(#inserts)* }
    };
    let pattern = if bindings.is_empty() {
        quote! { Self::#variant }
    } else {
        quote! { Self::#variant(#(#bindings),*) }
    };
    if response.headers.is_empty() {
        quote! { #pattern => #build, }
    } else {
        quote! { #pattern => { let mut response = #build; #headers response } }
    }
}

/// A distinct list of security requirement alternatives, shared by the
/// operations declaring it: `pub struct` in `mod security`.
struct SecurityList {
    requirements: Vec<Vec<String>>,
    name: proc_macro2::Ident,
}

/// The security lists of operations that take credentials, in order of first
/// use, each with a unique type name.
fn securities(api: &Api) -> Vec<SecurityList> {
    let mut lists: Vec<SecurityList> = Vec::new();
    for op in api.operations.iter().filter(|op| auth(op) != Auth::None) {
        if lists.iter().any(|list| list.requirements == op.security) {
            continue;
        }
        let alternatives: Vec<String> = op
            .security
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| r.join(" "))
            .collect();
        let mut name = pascal(&alternatives.join(" or "));
        if auth(op) == Auth::Optional {
            name = format!("Optional{name}");
        }
        if lists.iter().any(|list| list.name == name) {
            name = format!("{name}{}", lists.len());
        }
        lists.push(SecurityList {
            requirements: op.security.clone(),
            name: format_ident!("{}", name),
        });
    }
    lists
}

fn security_of<'a>(securities: &'a [SecurityList], op: &Operation) -> Option<&'a SecurityList> {
    securities.iter().find(|list| list.requirements == op.security)
}

/// `&[&[SchemeSpec, ...], ...]`: the alternatives as the runtime extracts them.
fn schemes_tokens(api: &Api, requirements: &[Vec<String>]) -> TokenStream {
    let alternatives = requirements.iter().map(|requirement| {
        let schemes = requirement.iter().map(|name| {
            let scheme = api.schemes.iter().find(|s| &s.name == name).map(|s| &s.kind);
            match scheme {
                Some(SchemeKind::Http { scheme }) => quote! { runtime::SchemeSpec::Http { scheme: #scheme }, },
                Some(SchemeKind::ApiKey { location, name }) => {
                    let location = runtime_location(*location);
                    quote! { runtime::SchemeSpec::ApiKey { location: #location, name: #name }, }
                }
                None => quote! {},
            }
        });
        quote! { &[#(#schemes)*], }
    });
    quote! { &[#(#alternatives)*] }
}

fn security_module(api: &Api, securities: &[SecurityList]) -> TokenStream {
    if securities.is_empty() {
        return quote! {};
    }
    let lists = securities.iter().map(|list| {
        let name = &list.name;
        let described: Vec<String> = list
            .requirements
            .iter()
            .map(|r| {
                if r.is_empty() {
                    "none".to_owned()
                } else {
                    format!("`{}`", r.join(" + "))
                }
            })
            .collect();
        let doc = format!(" Operations secured by {}.", described.join(" or "));
        let schemes = schemes_tokens(api, &list.requirements);
        let arms = list
            .requirements
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_empty())
            .map(|(index, requirement)| {
                let variant = credential_variant(requirement);
                if requirement.len() == 1 {
                    quote! { #index => Some(crate::Credentials::#variant(values.next()?)), }
                } else {
                    let fields = requirement.iter().map(|name| {
                        let field = format_ident!("{}", snake(name));
                        quote! { #field: values.next()?, }
                    });
                    quote! { #index => Some(crate::Credentials::#variant { #(#fields)* }), }
                }
            });
        let optional = list.requirements.iter().any(Vec::is_empty);
        let (credentials, take) = if optional {
            (
                quote! { Option<crate::Credentials> },
                quote! { Some(credential.and_then(Self::from)) },
            )
        } else {
            (
                quote! { crate::Credentials },
                quote! { credential.and_then(Self::from) },
            )
        };
        quote! {
            #[doc = #doc]
            pub struct #name;

            impl #name {
                /// The alternatives, as the runtime extracts them.
                pub const SCHEMES: &'static [&'static [runtime::SchemeSpec]] = #schemes;

                fn from(credential: runtime::Credential) -> Option<crate::Credentials> {
                    let mut values = credential.values.into_iter();
                    match credential.requirement {
                        #(#arms)*
                        _ => None,
                    }
                }
            }

            impl runtime::Security for #name {
                type Credentials = #credentials;

                fn credentials(credential: Option<runtime::Credential>) -> Option<#credentials> {
                    #take
                }
            }
        }
    });
    quote! {
        /// The security requirement lists operations declare, and the
        /// [`Credentials`] each hands to its operations.
        pub mod security {
            use crate::runtime;

            #(#lists)*
        }
    }
}

/// A string literal for generated code: raw when the text holds quotes or
/// backslashes, so JSON stays readable.
fn str_literal(text: &str) -> TokenStream {
    if !text.contains('"') && !text.contains('\\') {
        return quote! { #text };
    }
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
        .parse()
        .unwrap_or_else(|_| quote! { #text })
}
