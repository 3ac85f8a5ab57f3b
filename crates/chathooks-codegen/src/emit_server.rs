//! The server crate: one async trait method per operation, a request struct
//! and a response enum per operation, and an axum router doing the HTTP work
//! through `chathooks-runtime`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::ir::{Api, Kind, Location, MediaKind, Operation, Param, Response, SchemeKind, Status, TypeRef};
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
    let modules = api.operations.iter().map(|op| operation_module(api, op));
    let handlers = api.operations.iter().map(handler);
    let routes = routes(api);
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
        use chathooks_runtime::axum::response::IntoResponse;

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

        /// Per-operation request and response types.
        pub mod ops {
            #(#modules)*
        }

        /// The spec's schemas as draft-4 JSON Schema definitions.
        const SCHEMAS: &str = include_str!("schemas.json");

        /// An axum router serving every operation at its spec path.
        pub fn router<A: Api>(api: Arc<A>) -> axum::Router {
            let schemas = Arc::new(runtime::Schemas::new(SCHEMAS));
            let router = axum::Router::new();
            #routes
            router
        }

        #(#handlers)*
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

fn schema_literal(schema: &Value) -> Literal {
    Literal::string(&serde_json::to_string(&schema_json::convert(schema)).unwrap_or_else(|_| "{}".into()))
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

fn operation_module(api: &Api, op: &Operation) -> TokenStream {
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
                    ty.clone()
                } else {
                    quote! { Option<#ty> }
                };
                let value = wrap(quote! { body });
                let take = take_body(media.kind, &ty, 0);
                (
                    quote! { #doc pub body: #field_ty, },
                    quote! {},
                    quote! {
                        body: match #take {
                            Some(body) => #value,
                            None => #missing,
                        },
                    },
                )
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
    let param_builds = op.params.iter().map(|param| {
        let field = format_ident!("{}", param.field);
        let name = &param.name;
        let location = runtime_location(param.location);
        if param.required || param.default.is_some() {
            quote! { #field: prepared.param(#name, #location)?, }
        } else {
            quote! { #field: prepared.optional_param(#name, #location)?, }
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
    let method = op.method.to_uppercase();
    let path = &op.path;
    let params = op.params.iter().map(|param| {
        let name = &param.name;
        let location = runtime_location(param.location);
        let required = param.required;
        let kind = kind_tokens(&param.kind);
        let explode = param.explode;
        let default = match &param.default {
            Some(value) => {
                let text = serde_json::to_string(value).unwrap_or_default();
                quote! { Some(#text) }
            }
            None => quote! { None },
        };
        let schema = schema_literal(&param.schema);
        quote! {
            runtime::ParamSpec {
                name: #name, location: #location, required: #required, kind: #kind,
                explode: #explode, default: #default, schema: #schema,
            },
        }
    });
    let body_spec = match &op.body {
        None => quote! { None },
        Some(body) => {
            let required = body.required;
            let lenient_json = body.lenient_json;
            let media = body.media.iter().map(|media| {
                let content_type = &media.content_type;
                let kind = media_kind_tokens(media.kind);
                let fields = media.fields.iter().map(|(name, kind)| {
                    let kind = kind_tokens(kind);
                    quote! { (#name, #kind), }
                });
                let schema = match media.kind {
                    MediaKind::Json | MediaKind::Form | MediaKind::Multipart => schema_literal(&media.schema),
                    MediaKind::Text | MediaKind::Binary => Literal::string("{}"),
                };
                quote! {
                    runtime::MediaSpec { content_type: #content_type, kind: #kind, fields: &[#(#fields)*], schema: #schema },
                }
            });
            quote! { Some(runtime::BodySpec { required: #required, lenient_json: #lenient_json, media: &[#(#media)*] }) }
        }
    };
    let security = op.security.iter().map(|requirement| {
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

    // Credentials conversion.
    let credentials_fn = match auth(op) {
        Auth::None => quote! {},
        Auth::Required | Auth::Optional => {
            let arms = op
                .security
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.is_empty())
                .map(|(index, requirement)| {
                    let variant = credential_variant(requirement);
                    if requirement.len() == 1 {
                        quote! { #index => Some(Credentials::#variant(values.next()?)), }
                    } else {
                        let fields = requirement.iter().map(|name| {
                            let field = format_ident!("{}", snake(name));
                            quote! { #field: values.next()?, }
                        });
                        quote! { #index => Some(Credentials::#variant { #(#fields)* }), }
                    }
                });
            quote! {
                pub(crate) fn credentials(credential: Option<runtime::Credential>) -> Option<Credentials> {
                    let credential = credential?;
                    let mut values = credential.values.into_iter();
                    match credential.requirement {
                        #(#arms)*
                        _ => None,
                    }
                }
            }
        }
    };

    quote! {
        #[doc = #module_doc]
        pub mod #module {
            #[allow(unused_imports)]
            use crate::{runtime, Credentials};
            use crate::runtime::axum;

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
            }

            #(#header_structs)*

            impl axum::response::IntoResponse for Response {
                fn into_response(self) -> axum::response::Response {
                    match self {
                        #(#arms)*
                    }
                }
            }

            #error_impl

            pub(crate) static SPEC: runtime::OperationSpec = runtime::OperationSpec {
                operation_id: #operation_id,
                method: #method,
                path: #path,
                params: &[#(#params)*],
                body: #body_spec,
                security: &[#(#security)*],
            };

            pub(crate) fn request(prepared: &mut runtime::Prepared) -> Result<Request, runtime::RequestError> {
                Ok(Request {
                    #(#param_builds)*
                    #body_build
                    #files_build
                })
            }

            #credentials_fn
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
        Status::Code(code) => quote! { runtime::status(#code) },
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

fn handler_name(op: &Operation) -> proc_macro2::Ident {
    format_ident!("handle_{}", op.snake)
}

fn handler(op: &Operation) -> TokenStream {
    let name = handler_name(op);
    let module = format_ident!("{}", op.snake);
    let method = format_ident!("{}", op.snake);
    let (get_credentials, call) = match auth(op) {
        Auth::None => (quote! {}, quote! { api.#method(request).await }),
        Auth::Optional => (
            quote! { let credentials = ops::#module::credentials(prepared.credential.take()); },
            quote! { api.#method(credentials, request).await },
        ),
        Auth::Required => (
            quote! {
                let Some(credentials) = ops::#module::credentials(prepared.credential.take()) else {
                    return api.request_error(runtime::RequestError {
                        operation_id: ops::#module::SPEC.operation_id,
                        kind: runtime::RequestErrorKind::Unauthenticated,
                    });
                };
            },
            quote! { api.#method(credentials, request).await },
        ),
    };
    quote! {
        async fn #name<A: Api>(api: Arc<A>, operation: Arc<runtime::Operation>, request: axum::extract::Request) -> axum::response::Response {
            let mut prepared = match operation.prepare(request).await {
                Ok(prepared) => prepared,
                Err(error) => return api.request_error(error),
            };
            #get_credentials
            let request = match ops::#module::request(&mut prepared) {
                Ok(request) => request,
                Err(error) => return api.request_error(error),
            };
            #call.into_response()
        }
    }
}

fn routes(api: &Api) -> TokenStream {
    // Group operations by path: axum wants one route per path.
    let mut paths: Vec<&str> = Vec::new();
    for op in &api.operations {
        if !paths.contains(&op.path.as_str()) {
            paths.push(&op.path);
        }
    }
    let routes = paths.iter().map(|path| {
        let methods = api.operations.iter().filter(|op| op.path == *path).map(|op| {
            let filter = format_ident!("{}", op.method.to_uppercase());
            let module = format_ident!("{}", op.snake);
            let handler = handler_name(op);
            quote! {
                .on(axum::routing::MethodFilter::#filter, {
                    let api = api.clone();
                    let operation = Arc::new(runtime::Operation::new(&ops::#module::SPEC, schemas.clone()));
                    move |request: axum::extract::Request| #handler(api.clone(), operation.clone(), request)
                })
            }
        });
        quote! {
            let router = router.route(#path, axum::routing::MethodRouter::new() #(#methods)*);
        }
    });
    quote! { #(#routes)* }
}
