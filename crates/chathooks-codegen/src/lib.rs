//! Generates, from one OpenAPI 3.0 or 3.1 spec, three crates:
//!
//! * `chathooks-{name}-types`: every wire type, defined once (typify);
//! * `chathooks-{name}-server`: an async trait with one method per operation
//!   and an axum router doing the HTTP work (our own emitter);
//! * `chathooks-{name}-client`: a progenitor client over the same types, plus
//!   our own methods for multipart uploads, which progenitor cannot send.
//!
//! Pipeline: [`bundle`] reads the spec's files (YAML or JSON, through
//! [`load`]) and makes one document of them; [`upgrade`] checks the version and
//! brings 3.1 down to 3.0.3; [`normalize`] rewrites the spec so
//! that names are unique and every named type is a component; [`ir`] lowers
//! each operation; the emitters read the IR (server) or the normalized spec
//! (types, client); [`files`] formats and compares.

pub mod baseline;
pub mod bundle;
pub mod catch;
#[cfg(feature = "cli")]
pub mod cli;
pub mod command;
pub mod diagnostics;
pub mod emit_client;
pub mod emit_multipart;
pub mod emit_server;
pub mod emit_types;
pub mod files;
pub mod ir;
pub mod load;
pub mod names;
pub mod normalize;
pub mod runtime_dep;
pub mod schema_json;
pub mod spec_diff;
pub mod upgrade;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use diagnostics::{Diagnostic, Severity};
pub use files::{FileState, GeneratedFile};
pub use runtime_dep::Runtime;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Spec { path: PathBuf, message: String },
    #[error("generating {what} for {api}: {message}")]
    Generate {
        api: String,
        what: &'static str,
        message: String,
    },
}

/// One API to generate. Make one with [`ApiSpec::new`] and adjust the
/// fields that differ from its defaults.
#[derive(Debug, Clone)]
pub struct ApiSpec {
    /// Short name: crates are `chathooks-{name}-types` and so on.
    pub name: String,
    /// The spec: files, or directories of them. More than one document is
    /// merged into one API (see [`bundle`]).
    pub specs: Vec<PathBuf>,
    /// How the spec is named in headers (`spec/mattermost.yaml`).
    pub spec_display: String,
    /// Directory receiving the three crate directories.
    pub out_dir: PathBuf,
    /// Where the generated server crate gets `chathooks-runtime` from.
    pub runtime: Runtime,
    /// A `$ref` that does not resolve becomes an empty schema (with a
    /// diagnostic) instead of an error.
    pub allow_unresolved: bool,
    /// The command the headers of generated files name to regenerate them.
    pub command: String,
}

impl ApiSpec {
    /// `spec` generated as `chathooks-{name}-*` into `out_dir`, with the
    /// runtime from the registry (the version of this generator), and
    /// unresolved refs refused.
    pub fn new(name: impl Into<String>, spec: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        let spec = spec.into();
        ApiSpec {
            name: name.into(),
            spec_display: spec.display().to_string(),
            specs: vec![spec],
            out_dir: out_dir.into(),
            runtime: Runtime::default(),
            allow_unresolved: false,
            command: "chathooks-codegen".into(),
        }
    }

    /// The first spec file or directory, which names the API in errors.
    pub fn spec_path(&self) -> &Path {
        self.specs.first().map(PathBuf::as_path).unwrap_or(Path::new(""))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub name: String,
    pub operations_in_spec: usize,
    pub server_operations: usize,
    pub client_operations: usize,
    pub types: usize,
}

#[derive(Debug, Clone)]
pub struct Generated {
    pub files: Vec<GeneratedFile>,
    pub summary: Summary,
    pub diagnostics: Vec<Diagnostic>,
    /// Every spec file read (for a build script's `cargo:rerun-if-changed`).
    pub inputs: Vec<PathBuf>,
}

impl Generated {
    /// Write the files whose contents differ from what is on disk, creating
    /// directories as needed. Returns how many were written.
    pub fn write_changed(&self) -> Result<usize, Error> {
        let mut written = 0;
        for file in &self.files {
            if files::state(file) == FileState::Unchanged {
                continue;
            }
            let io = |source| Error::Io {
                path: file.path.clone(),
                source,
            };
            if let Some(parent) = file.path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&file.path, &file.contents).map_err(io)?;
            written += 1;
        }
        Ok(written)
    }

    /// The files whose contents on disk differ from what was generated.
    pub fn stale(&self) -> Vec<&GeneratedFile> {
        self.files
            .iter()
            .filter(|file| files::state(file) != FileState::Unchanged)
            .collect()
    }
}

/// The workspace this crate lives in.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// The APIs of this workspace: every `spec/*.yaml`, generated into `crates/`.
pub fn workspace_apis(root: &Path) -> Result<Vec<ApiSpec>, Error> {
    let spec_dir = root.join("spec");
    let entries = std::fs::read_dir(&spec_dir).map_err(|source| Error::Io {
        path: spec_dir.clone(),
        source,
    })?;
    let mut specs: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    specs.sort();
    Ok(specs
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            // The workspace's crates use the runtime beside them.
            ApiSpec {
                spec_display: format!(
                    "spec/{}",
                    path.file_name().map(|s| s.to_string_lossy()).unwrap_or_default()
                ),
                runtime: Runtime::Path(root.join("crates/chathooks-runtime")),
                command: "cargo xtask codegen".into(),
                ..ApiSpec::new(name, path, root.join("crates"))
            }
        })
        .collect())
}

/// Generate the three crates of one API, in memory: the entry point for a
/// downstream `build.rs` or tool.
///
/// ```no_run
/// // build.rs of a project that keeps its generated crates in `generated/`:
/// let mut api = chathooks_codegen::ApiSpec::new("petstore", "api/petstore.yaml", "generated");
/// api.runtime = "version:0.1".parse().unwrap();
/// let generated = chathooks_codegen::generate(&api).expect("the spec generates");
/// for input in &generated.inputs {
///     println!("cargo:rerun-if-changed={}", input.display());
/// }
/// generated.write_changed().expect("generated/ is writable");
/// ```
pub fn generate(api: &ApiSpec) -> Result<Generated, Error> {
    let bundled = bundle::load_specs(&api.specs, api.allow_unresolved)?;
    let mut generated = generate_from_value(api, bundled.value)?;
    generated.diagnostics.extend(bundled.diagnostics);
    generated.diagnostics.sort();
    generated.diagnostics.dedup();
    generated.inputs = bundled.inputs;
    Ok(generated)
}

/// Generate from a spec already read into one document (its `$ref`s local).
pub fn generate_from_value(api: &ApiSpec, mut raw: Value) -> Result<Generated, Error> {
    let fail = |what: &'static str| {
        move |message: String| Error::Generate {
            api: api.name.clone(),
            what,
            message,
        }
    };
    let upgraded = upgrade::to_openapi_30(&mut raw).map_err(|message| Error::Spec {
        path: api.spec_path().to_owned(),
        message,
    })?;
    let normalized = normalize::normalize(raw);
    let operations_in_spec = normalize::operations(&normalized.spec).len();
    let names = files::CrateNames::new(&api.name);
    let origin = format!("`{}` from {}", api.command, api.spec_display);
    let (display, spec, types_crate) = (&origin, &normalized.spec, names.types.as_str());
    // The three crates do not depend on each other's output, so each is
    // emitted and formatted on a thread of its own. The types and the client
    // start at once from the normalized spec; the client's multipart methods
    // need the lowered operations, which reach it through a channel. Token
    // streams cannot cross threads, so each thread hands back text.
    let (operations_tx, operations_rx) = std::sync::mpsc::channel();
    let (lowered, types, server, client) = std::thread::scope(|scope| {
        let client =
            scope.spawn(move || emit_client_file(display, spec, types_crate, operations_in_spec, operations_rx));
        let types = scope.spawn(|| emit_types_file(display, &normalized));
        let lowered = lower(api, spec);
        if let Ok(lowered) = &lowered {
            let _ = operations_tx.send(lowered.all_operations.clone());
        }
        // A spec that could not be lowered leaves the client waiting for
        // nothing: closing the channel ends its wait.
        drop(operations_tx);
        // (Its error, when lowering failed, is never read: that failure is.)
        let server = lowered
            .as_ref()
            .map_err(|_| String::new())
            .and_then(|lowered| emit_server_file(display, &lowered.server_api, spec, types_crate));
        (
            lowered,
            joined("types", types.join()),
            server,
            joined("client", client.join()),
        )
    });
    let lowered = lowered?;
    let types = types.map_err(fail("types"))?;
    let server = server.map_err(fail("server"))?;
    let mut client = client.map_err(fail("client"))?;
    let mut diagnostics = upgraded;
    diagnostics.extend(normalized.diagnostics.iter().cloned());
    diagnostics.extend(lowered.diagnostics);
    diagnostics.extend(types.diagnostics);
    diagnostics.append(&mut client.diagnostics);

    let crate_dir = |name: &str| api.out_dir.join(name);
    let runtime = api.runtime.dependency(&crate_dir(&names.server));
    let files = vec![
        GeneratedFile {
            path: crate_dir(&names.types).join("Cargo.toml"),
            contents: files::types_manifest(display, &names, &types.code),
        },
        GeneratedFile {
            path: crate_dir(&names.types).join("src/lib.rs"),
            contents: types.code,
        },
        GeneratedFile {
            path: crate_dir(&names.server).join("Cargo.toml"),
            contents: files::server_manifest(display, &names, &runtime),
        },
        GeneratedFile {
            path: crate_dir(&names.server).join("src/lib.rs"),
            contents: server.code,
        },
        GeneratedFile {
            path: crate_dir(&names.server).join("src/schemas.json"),
            contents: server.schemas_json,
        },
        GeneratedFile {
            path: crate_dir(&names.client).join("Cargo.toml"),
            contents: files::client_manifest(display, &names, &client.code, client.multipart_operations > 0),
        },
        GeneratedFile {
            path: crate_dir(&names.client).join("src/lib.rs"),
            contents: client.code,
        },
    ];
    diagnostics.sort();
    diagnostics.dedup();
    Ok(Generated {
        files,
        summary: Summary {
            name: api.name.clone(),
            operations_in_spec,
            server_operations: lowered.server_api.operations.len(),
            client_operations: client.operations,
            types: types.count,
        },
        diagnostics,
        inputs: Vec::new(),
    })
}

/// The operations the server serves (the routable ones), every lowered
/// operation (the client's multipart methods are made from these), and what
/// lowering noticed.
struct Lowered {
    server_api: ir::Api,
    all_operations: Vec<ir::Operation>,
    diagnostics: Vec<Diagnostic>,
}

fn lower(api: &ApiSpec, raw: &Value) -> Result<Lowered, Error> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(raw.clone()).map_err(|e| Error::Spec {
        path: api.spec_path().to_owned(),
        message: format!("not an OpenAPI 3.0 document: {e}"),
    })?;
    let ir::Lowered {
        api: mut server_api,
        mut diagnostics,
    } = ir::lower(&spec, raw);
    let all_operations = server_api.operations.clone();
    drop_unroutable(&mut server_api, &mut diagnostics);
    Ok(Lowered {
        server_api,
        all_operations,
        diagnostics,
    })
}

/// An emitter's answer from its thread; a panic the emitter did not catch
/// itself (its calls into progenitor and typify are caught) is an error too.
fn joined<T>(what: &str, result: std::thread::Result<Result<T, String>>) -> Result<T, String> {
    result.unwrap_or_else(|_| Err(format!("the {what} emitter panicked")))
}

struct EmittedTypes {
    code: String,
    count: usize,
    diagnostics: Vec<Diagnostic>,
}

fn emit_types_file(display: &str, normalized: &normalize::Normalized) -> Result<EmittedTypes, String> {
    let types = emit_types::emit(&normalized.spec, &normalized.colliding_objects)?;
    Ok(EmittedTypes {
        code: files::rust_file(display, &[], types.tokens)?,
        count: types.count,
        diagnostics: types.diagnostics,
    })
}

struct EmittedServer {
    code: String,
    schemas_json: String,
}

fn emit_server_file(display: &str, api: &ir::Api, raw: &Value, types_crate: &str) -> Result<EmittedServer, String> {
    let server = emit_server::emit(api, raw, types_crate);
    Ok(EmittedServer {
        code: files::rust_file(display, &[], server.lib)?,
        schemas_json: server.schemas_json,
    })
}

struct EmittedClient {
    code: String,
    /// Operations the client has a method for, progenitor's and ours.
    operations: usize,
    multipart_operations: usize,
    diagnostics: Vec<Diagnostic>,
}

/// progenitor's client, plus our multipart methods for the operations it
/// cannot send (found among every lowered operation, routable or not), with a
/// header saying what progenitor was handed.
fn emit_client_file(
    display: &str,
    raw: &Value,
    types_crate: &str,
    operations_in_spec: usize,
    all_operations: std::sync::mpsc::Receiver<Vec<ir::Operation>>,
) -> Result<EmittedClient, String> {
    let client = emit_client::emit(raw, types_crate)?;
    let all_operations = all_operations
        .recv()
        .map_err(|_| "the spec's operations could not be lowered".to_owned())?;
    let mut diagnostics = client.diagnostics;
    let mut multipart_ops = Vec::new();
    for id in &client.multipart {
        match all_operations.iter().find(|op| &op.id == id) {
            Some(op) => multipart_ops.push(op),
            None => diagnostics.push(Diagnostic {
                severity: Severity::Skipped,
                location: String::new(),
                operation: Some(id.clone()),
                target: "client",
                message: "multipart/form-data body, and the operation could not be lowered (see the server's skip)"
                    .into(),
            }),
        }
    }
    let multipart = emit_multipart::emit(&multipart_ops, raw, types_crate);
    let operations = client.operations + multipart.operations;
    let mut notes = Vec::new();
    if multipart.operations > 0 {
        notes.push(format!(
            "progenitor cannot send multipart/form-data bodies: the {} operation(s) sent that way ({}) are",
            multipart.operations,
            multipart_ops
                .iter()
                .map(|op| op.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        notes.push(
            "emitted by chathooks-codegen (emit_multipart) as methods of an extra `impl Client`, their bodies in `multipart`."
                .to_owned(),
        );
    }
    if !client.adaptations.is_empty() || operations < operations_in_spec {
        notes.push("progenitor was handed an adapted copy of the spec:".to_owned());
        notes.extend(client.adaptations.iter().map(|a| format!("- {a}")));
        for d in diagnostics.iter().filter(|d| d.target == "client") {
            notes.push(format!(
                "- {}: left out: {}",
                d.operation.as_deref().unwrap_or("?"),
                d.message
            ));
        }
    }
    let types_ident = quote::format_ident!("{}", types_crate.replace('-', "_"));
    let client_tokens = client.tokens;
    let multipart_tokens = multipart.tokens;
    let code = files::rust_file(
        display,
        &notes,
        quote::quote! {
            /// The wire types, from the types crate.
            pub use #types_ident as wire;
            #client_tokens
            #multipart_tokens
        },
    )?;
    Ok(EmittedClient {
        code,
        operations,
        multipart_operations: multipart.operations,
        diagnostics,
    })
}

/// Leave out operations whose path axum would refuse or that conflict with
/// an earlier path in axum's router (checked with the same matchit version).
fn drop_unroutable(api: &mut ir::Api, diagnostics: &mut Vec<Diagnostic>) {
    let mut router = matchit::Router::new();
    let mut inserted: Vec<String> = Vec::new();
    api.operations.retain(|op| {
        let problem = if !op.path.starts_with('/') {
            Some("path does not start with `/`".to_owned())
        } else if let Some(segment) = op.path.split('/').find(|s| s.starts_with(':')) {
            Some(format!(
                "Express-style path segment `{segment}` has no declared path parameter `{}`, so it is not routable",
                &segment[1..]
            ))
        } else if op.path.split('/').any(|segment| segment.starts_with('*')) {
            Some("path segments starting with `*` are not routable".to_owned())
        } else if inserted.contains(&op.path) {
            None
        } else {
            match router.insert(op.path.clone(), ()) {
                Ok(()) => {
                    inserted.push(op.path.clone());
                    None
                }
                Err(e) => Some(format!("route conflicts with another path: {e}")),
            }
        };
        match problem {
            None => true,
            Some(message) => {
                diagnostics.push(Diagnostic {
                    severity: Severity::Skipped,
                    location: op.location.clone(),
                    operation: Some(op.id.clone()),
                    target: "server",
                    message,
                });
                false
            }
        }
    });
}
