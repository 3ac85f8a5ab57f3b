//! The generator on fixture specs: snapshots of what it writes, the
//! adaptations it reports, determinism, and the large upstream Mattermost spec.

use std::path::{Path, PathBuf};

use chathooks_codegen::{ApiSpec, Generated, Severity, generate};

fn fixture(name: &str) -> ApiSpec {
    fixture_file(name, &format!("{name}.yaml"))
}

/// A fixture whose spec is `file` (or directory) under tests/fixtures.
fn fixture_file(name: &str, file: &str) -> ApiSpec {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    ApiSpec {
        spec_display: format!("tests/fixtures/{file}"),
        command: "cargo xtask codegen".into(),
        runtime: chathooks_codegen::Runtime::Path(chathooks_codegen::workspace_root().join("crates/chathooks-runtime")),
        ..ApiSpec::new(
            name,
            dir.join(file),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/codegen-fixtures"),
        )
    }
}

fn file<'a>(generated: &'a Generated, suffix: &str) -> &'a str {
    &generated
        .files
        .iter()
        .find(|f| f.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no generated file ends with {suffix}"))
        .contents
}

fn diagnostics(generated: &Generated) -> String {
    generated.diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

/// Type names a generated crate refers to through `prefix` (`crate::types::`).
fn referenced(code: &str, prefix: &str) -> std::collections::BTreeSet<String> {
    code.match_indices(prefix)
        .map(|(at, _)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| name.chars().next().is_some_and(char::is_uppercase))
        .collect()
}

/// Type names the types crate defines.
fn defined(types: &str) -> std::collections::BTreeSet<String> {
    ["pub struct ", "pub enum ", "pub type "]
        .iter()
        .flat_map(|prefix| referenced(types, prefix))
        .collect()
}

/// Every type the server and the client name is defined by the types crate,
/// under exactly that spelling.
fn assert_names_agree(generated: &Generated, name: &str) {
    let types = defined(file(generated, &format!("chathooks-{name}-types/src/lib.rs")));
    let server = referenced(
        file(generated, &format!("chathooks-{name}-server/src/lib.rs")),
        "crate::types::",
    );
    let client_prefix = format!("chathooks_{}_types::", name.replace('-', "_"));
    let client = referenced(
        file(generated, &format!("chathooks-{name}-client/src/lib.rs")),
        &client_prefix,
    );
    for (who, names) in [("server", server), ("client", client)] {
        let missing: Vec<&String> = names.iter().filter(|n| !types.contains(*n)).collect();
        assert!(
            missing.is_empty(),
            "{name}: the {who} names types the types crate does not define: {missing:?}"
        );
    }
}

/// Generate a class fixture, check the names agree, and snapshot everything.
fn class_fixture(name: &str) -> Generated {
    class_fixture_of(&fixture(name))
}

fn class_fixture_of(api: &ApiSpec) -> Generated {
    let name = api.name.as_str();
    let generated = generate(api).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_names_agree(&generated, name);
    let snap = name.replace('-', "_");
    insta::assert_snapshot!(format!("{snap}_diagnostics"), diagnostics(&generated));
    for kind in ["types", "server", "client"] {
        insta::assert_snapshot!(
            format!("{snap}_{kind}"),
            file(&generated, &format!("chathooks-{name}-{kind}/src/lib.rs"))
        );
    }
    generated
}

fn server_code<'a>(generated: &'a Generated, name: &str) -> &'a str {
    file(generated, &format!("chathooks-{name}-server/src/lib.rs"))
}

fn types_code<'a>(generated: &'a Generated, name: &str) -> &'a str {
    file(generated, &format!("chathooks-{name}-types/src/lib.rs"))
}

#[test]
fn naming() {
    let generated = class_fixture("naming");
    let types = types_code(&generated, "naming");
    // heck's `V1E2e` -> `V1e2e`: the name is made final before anyone uses it.
    assert!(types.contains("pub struct GetApiV1e2eFetchMyKeysResponse"), "{types}");
    assert!(types.contains("pub struct V1e2eKey"));
    assert!(types.contains("pub struct HttpServer"));
    assert_eq!(generated.summary.client_operations, 2);
}

#[test]
fn field_collisions() {
    let generated = class_fixture("field-collisions");
    let report = diagnostics(&generated);
    for schema in ["Message", "Extended", "MarkUnreadBodyFirstUnreadMessage"] {
        assert!(
            report.contains(&format!("/components/schemas/{schema}/properties: properties")),
            "{schema} not reported:\n{report}"
        );
    }
    let types = types_code(&generated, "field-collisions");
    for field in ["pub id_2: ", "pub a_b_2: ", "pub wont_2: "] {
        assert!(types.contains(field), "{field} missing");
    }
    // `Base` alone has no collision and stays typify's.
    assert!(!report.contains("schemas/Base/"), "{report}");
}

#[test]
fn express_paths() {
    let generated = class_fixture("express-paths");
    let server = server_code(&generated, "express-paths");
    assert!(server.contains("\"/things/{id}\""), "captured path missing");
    assert!(server.contains("\"/rooms/{rid}/members/{uid}\""));
    assert!(server.contains("\"/livechat/{rid}/messages\""));
    // Declared: routed. Undeclared `:key`: a string path parameter, reported.
    assert!(
        server.contains("\"/attributes/{key}\""),
        "undeclared capture not routed"
    );
    assert_eq!(generated.summary.operations_in_spec, 5);
    assert_eq!(generated.summary.server_operations, 5);
    let report = diagnostics(&generated);
    assert!(
        report.contains("adapted (spec) getAttribute")
            && report.contains("`:key` without a declared path parameter: served as string path parameter(s)"),
        "{report}"
    );
    assert!(!report.contains("skipped"), "{report}");
    assert!(
        report.contains("`rid` is not declared; declared as a required string"),
        "{report}"
    );
    assert!(report.contains("\"stale\" is not in the path; dropped"), "{report}");
    assert_eq!(generated.summary.client_operations, 5, "{report}");
}

#[test]
fn typify_hostile() {
    let generated = class_fixture("typify-hostile");
    let report = diagnostics(&generated);
    // Nothing reached the panic guard: each construct was rewritten instead.
    assert!(!report.contains("panicked"), "{report}");
    assert!(!report.contains("typify refuses"), "{report}");
    assert_eq!(generated.summary.client_operations, 1, "{report}");
    for expected in [
        "format \"object\" (which names no type): the format is dropped",
        "its keywords make it `string`",
        "its keywords make it `integer`",
        "its keywords make it `number`",
        "the enum is kept, the composition dropped",
        "cannot be told apart as Rust variants",
    ] {
        assert!(report.contains(expected), "`{expected}` not reported:\n{report}");
    }
    let types = types_code(&generated, "typify-hostile");
    assert!(types.contains("pub enum Kinds"), "a oneOf of values is an enum");
}

#[test]
fn multipart() {
    let generated = class_fixture("multipart");
    let report = diagnostics(&generated);
    // Every operation reaches the client: progenitor's, and ours for multipart.
    assert_eq!(generated.summary.client_operations, 4, "{report}");
    assert!(!report.contains("skipped"), "{report}");
    let client = file(&generated, "chathooks-multipart-client/src/lib.rs");
    for expected in [
        "pub async fn upload_file(",
        "pub async fn rooms_upload(",
        "pub async fn create_emoji(",
        "pub files: ::std::vec::Vec<::reqwest::multipart::Part>,",
        "pub file: ::reqwest::multipart::Part,",
        "form = form.part(\"files\", part);",
        "form = form.text(\"channel_id\", text(&self.channel_id));",
        "Error<chathooks_multipart_types::Error>",
        "request.multipart(body.into_form())",
        "// progenitor cannot send multipart/form-data bodies",
    ] {
        assert!(client.contains(expected), "`{expected}` missing from the client");
    }
    let manifest = file(&generated, "chathooks-multipart-client/Cargo.toml");
    assert!(manifest.contains("\"multipart\""), "{manifest}");
    // The JSON-or-multipart operation stays progenitor's.
    assert!(
        client.contains("pub fn create_note(&self)"),
        "create_note is not progenitor's"
    );
}

#[test]
fn openapi_31() {
    let generated = class_fixture("openapi31");
    let report = diagnostics(&generated);
    for expected in [
        "OpenAPI 3.1.0 is read as 3.0.3",
        "jsonSchemaDialect",
        "webhooks (`postCreated`) are not generated",
        "`type` arrays rewritten",
        "`const` rewritten as a one-value enum",
        "`examples` arrays rewritten",
        "exclusiveMinimum/exclusiveMaximum rewritten",
        "`$ref` siblings rewritten",
        "several types left untyped",
    ] {
        assert!(report.contains(expected), "`{expected}` not reported:\n{report}");
    }
    assert_eq!(generated.summary.server_operations, 2, "{report}");
    assert_eq!(generated.summary.client_operations, 2, "{report}");
    let types = types_code(&generated, "openapi31");
    // `type: [string, "null"]` is an optional string; `const` an enum.
    assert!(
        types.contains("pub root_id: ::std::option::Option<::std::string::String>"),
        "{types}"
    );
    assert!(types.contains("pub enum PostKind"), "{types}");
    let schemas = file(&generated, "chathooks-openapi31-server/src/schemas.json");
    // The exclusive bound reaches run-time validation in draft-4 form (schema
    // text is a raw string literal).
    let server = server_code(&generated, "openapi31");
    assert!(
        server.contains(r#""exclusiveMinimum":true"#) && server.contains(r#""minimum":0"#),
        "{server}"
    );
    assert!(
        schemas.contains("\"nullable\"") || schemas.contains("\"null\""),
        "{schemas}"
    );
}

/// A large 3.1 spec of a chat platform's shape (our own): every operation
/// reaches both crates, and the compile test builds them.
#[test]
fn chat_platform_31() {
    let generated = generate(&fixture("chat31")).unwrap();
    assert_names_agree(&generated, "chat31");
    let summary = &generated.summary;
    assert!(summary.operations_in_spec >= 50, "{summary:?}");
    assert_eq!(
        summary.server_operations,
        summary.operations_in_spec,
        "{}",
        diagnostics(&generated)
    );
    // The multipart uploads included.
    assert_eq!(
        summary.client_operations,
        summary.operations_in_spec,
        "{}",
        diagnostics(&generated)
    );
    insta::assert_snapshot!("chat31_diagnostics", diagnostics(&generated));
}

#[test]
fn swagger_2_is_refused_by_name() {
    let error = generate(&fixture("swagger2")).unwrap_err().to_string();
    assert!(error.contains("swagger2.yaml"), "{error}");
    assert!(
        error.contains("Swagger 2.0") && error.contains("swagger2openapi"),
        "{error}"
    );
    assert!(error.contains("editor.swagger.io"), "{error}");
}

#[test]
fn petstore() {
    let generated = generate(&fixture("petstore")).unwrap();
    assert_eq!(generated.summary.operations_in_spec, 4);
    assert_eq!(generated.summary.server_operations, 4);
    assert_eq!(generated.summary.client_operations, 4);
    assert!(generated.diagnostics.is_empty(), "{}", diagnostics(&generated));
    insta::assert_snapshot!(
        "petstore_types",
        file(&generated, "chathooks-petstore-types/src/lib.rs")
    );
    insta::assert_snapshot!(
        "petstore_server",
        file(&generated, "chathooks-petstore-server/src/lib.rs")
    );
    insta::assert_snapshot!(
        "petstore_client",
        file(&generated, "chathooks-petstore-client/src/lib.rs")
    );
}

#[test]
fn edge_cases() {
    let generated = generate(&fixture("edge-cases")).unwrap();
    insta::assert_snapshot!("edge_cases_diagnostics", diagnostics(&generated));
    let types = file(&generated, "chathooks-edge-cases-types/src/lib.rs");
    let server = file(&generated, "chathooks-edge-cases-server/src/lib.rs");
    let client = file(&generated, "chathooks-edge-cases-client/src/lib.rs");
    insta::assert_snapshot!("edge_cases_types", types);
    insta::assert_snapshot!("edge_cases_server", server);
    insta::assert_snapshot!("edge_cases_client", client);

    // Inline schemas get predictable names, never colliding with components.
    for name in [
        "ReplaceItemBody",
        "ReplaceItemFormBody",
        "ReplaceItemMultipartBody",
        "ReplaceItemResponse",
        "SearchResponse",
        "BaseWebapp2",
        "ProblemResponse",
    ] {
        assert!(
            types.contains(&format!("pub struct {name}")) || types.contains(&format!("pub enum {name}")),
            "{name} missing"
        );
    }
    // `_id`/`id` and `fooBar`/`foo_bar` get distinct fields.
    assert!(
        types.contains("pub id_2: ") && types.contains("pub foo_bar_2: "),
        "colliding fields not numbered"
    );
    // Missing and duplicate operation ids.
    assert!(server.contains("fn get_items_item_id(") && server.contains("fn create_thing_get("));
    // Several request content types become one enum; a text answer is a String.
    assert!(server.contains("Multipart(crate::types::ReplaceItemMultipartBody)"));
    assert!(server.contains("runtime::text_response("));
    // Optional and compound security requirements.
    assert!(server.contains("credentials: Option<Credentials>"));
    assert!(server.contains("ApiKeyHeaderApiKeyQuery {"));
    // progenitor was handed an adapted copy, and the header says so.
    assert!(client.contains("// progenitor was handed an adapted copy of the spec:"));
    assert!(client.contains("request body sent as application/json only"));
}

#[test]
fn output_is_deterministic() {
    let first = generate(&fixture("edge-cases")).unwrap();
    let second = generate(&fixture("edge-cases")).unwrap();
    assert_eq!(first.files, second.files);
}

#[test]
fn every_generated_file_is_headed() {
    let generated = generate(&fixture("petstore")).unwrap();
    for file in &generated.files {
        let first = file.contents.lines().next().unwrap_or_default();
        if file.path.extension().is_some_and(|e| e == "json") {
            continue;
        }
        assert!(
            first.ends_with("generated by `cargo xtask codegen` from tests/fixtures/petstore.yaml; do not edit"),
            "{}: {first}",
            file.path.display()
        );
    }
}

/// The whole upstream Mattermost API: 425 operations. Whatever cannot be
/// generated is named with its operation and location; nothing panics.
#[test]
fn upstream_mattermost_spec() {
    let generated = generate(&fixture("mattermost-api-v4")).unwrap();
    let summary = &generated.summary;
    assert_eq!(summary.operations_in_spec, 425);
    assert_eq!(summary.server_operations, 425, "{}", diagnostics(&generated));
    // Every operation reaches the client, the multipart uploads through our
    // own emitter; nothing is skipped anywhere.
    assert_eq!(summary.client_operations, 425, "{}", diagnostics(&generated));
    let skipped: Vec<String> = generated
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Skipped)
        .map(ToString::to_string)
        .collect();
    assert!(skipped.is_empty(), "{skipped:#?}");
    let client = file(&generated, "chathooks-mattermost-api-v4-client/src/lib.rs");
    assert_eq!(client.matches("request.multipart(body.into_form())").count(), 16);
    // The duplicated operationId and the enum whose values do not match its type.
    let report = diagnostics(&generated);
    assert!(
        report.contains("SaveAcknowledgementForPost` is used more than once"),
        "{report}"
    );
    assert!(report.contains("do not match type"), "{report}");
}

/// Every summary and description of spec/mattermost.yaml reaches generated
/// code, so changing any of them makes `--check` and the drift test fail:
/// replace each by a unique marker and find every marker in the output.
#[test]
fn every_summary_and_description_of_the_mattermost_spec_is_generated() {
    fn mark(value: &mut serde_json::Value, key: Option<&str>, count: &mut usize) {
        match value {
            serde_json::Value::String(text) if matches!(key, Some("summary" | "description")) => {
                *count += 1;
                *text = format!("Marker{count}x");
            }
            serde_json::Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    // Inside `properties`, keys are property names, not keywords.
                    let keyword = if key == Some("properties") {
                        None
                    } else {
                        Some(k.as_str())
                    };
                    mark(child, keyword, count);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| mark(item, None, count)),
            _ => {}
        }
    }
    let root = chathooks_codegen::workspace_root();
    let mut spec = chathooks_codegen::load::load_value(&root.join("spec/mattermost.yaml")).unwrap();
    let mut count = 0;
    mark(&mut spec, None, &mut count);
    assert!(count > 100, "only {count} descriptions found");
    let api = ApiSpec {
        spec_display: "spec/mattermost.yaml".into(),
        ..ApiSpec::new(
            "mattermost",
            root.join("spec/mattermost.yaml"),
            root.join("target/codegen-markers"),
        )
    };
    let generated = chathooks_codegen::generate_from_value(&api, spec).unwrap();
    let output: String = generated.files.iter().map(|f| f.contents.as_str()).collect();
    let missing: Vec<String> = (1..=count)
        .map(|n| format!("Marker{n}x"))
        .filter(|marker| !output.contains(marker.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {count} texts do not reach generated code: {missing:?}",
        missing.len()
    );
}

/// The types crate's definitions of `name` (struct, enum or alias).
fn definitions_of(types: &str, name: &str) -> usize {
    ["pub struct ", "pub enum ", "pub type "]
        .iter()
        .map(|prefix| {
            types
                .match_indices(&format!("{prefix}{name}"))
                .filter(|(at, m)| {
                    !types[at + m.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
                .count()
        })
        .sum()
}

#[test]
fn query_objects() {
    let generated = class_fixture("query-objects");
    let server = server_code(&generated, "query-objects");
    // JSON-valued object parameters are served, typed.
    assert!(
        server.contains("pub query: Option<crate::types::UserQuery>"),
        "{server}"
    );
    assert!(
        server.contains("pub selector: crate::types::AutocompleteRoomsSelector"),
        "{server}"
    );
    // Objects written in the query's own keys are served too, typed, each
    // with the way its keys are read.
    assert!(
        server.contains("pub filter: crate::types::FilterChannelsFilter")
            && server.contains("style: runtime::ObjectStyle::DeepObject"),
        "{server}"
    );
    assert!(
        server.contains("pub paging: Option<crate::types::Paging>")
            && server.contains("style: runtime::ObjectStyle::FormExploded"),
        "{server}"
    );
    assert!(
        server.contains("pub color: crate::types::PickColorColor")
            && server.contains("style: runtime::ObjectStyle::Form,"),
        "{server}"
    );
    // Every operation on both sides, nothing skipped; the client writes each
    // object in its style with a type of its own.
    assert_eq!(generated.summary.operations_in_spec, 6);
    assert_eq!(generated.summary.server_operations, 6);
    assert_eq!(generated.summary.client_operations, 6);
    assert!(
        !generated.diagnostics.iter().any(|d| d.severity == Severity::Skipped),
        "{}",
        diagnostics(&generated)
    );
    let client = file(&generated, "chathooks-query-objects-client/src/lib.rs");
    for wrapper in [
        "FilterChannelsFilterQuery",
        "FilterChannelsLabelsQuery",
        "SearchPostsPagingQuery",
        "PickColorColorQuery",
    ] {
        assert!(
            client.contains(&format!("pub struct {wrapper}(")),
            "{wrapper}:\n{client}"
        );
    }
}

#[test]
fn multi_file_spec_is_fully_typed() {
    let generated = class_fixture_of(&fixture_file("multi-file", "multi-file/api.yaml"));
    let types = types_code(&generated, "multi-file");
    // Whole files, fragments, refs nested relative to the referring file, a
    // cycle, and a definition reached from several files: one type each.
    for name in [
        "Message",
        "Thread",
        "NewMessage",
        "MessageRef",
        "User",
        "Error",
        "Health",
        "Profile",
    ] {
        assert_eq!(definitions_of(types, name), 1, "{name}:\n{types}");
    }
    assert!(
        !types.contains("serde_json::Value"),
        "an untyped schema is left:\n{types}"
    );
    assert!(
        types.contains("pub thread: ::std::boxed::Box<Thread>") || types.contains("pub thread: Thread"),
        "{types}"
    );
    assert!(types.contains("pub messages: ::std::vec::Vec<Message>"), "{types}");
    // A component that is a ref to a file names that file's schema: no
    // alias, no `Profile2`.
    assert!(types.contains("pub profile: ::std::option::Option<Profile>"), "{types}");
    assert!(!types.contains("Profile2"), "{types}");
    assert_eq!(generated.summary.operations_in_spec, 3);
    assert_eq!(generated.summary.server_operations, 3);
    assert_eq!(generated.summary.client_operations, 3);
    // Every file read is reported (for a build script's rerun-if-changed).
    let inputs: Vec<String> = generated
        .inputs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for file in [
        "api.yaml",
        "messages.yaml",
        "common.yaml",
        "message.yaml",
        "thread.yaml",
        "profile.yaml",
    ] {
        assert!(inputs.contains(&file.to_owned()), "{file} not among {inputs:?}");
    }
}

#[test]
fn directory_of_documents_is_merged() {
    let generated = class_fixture_of(&fixture_file("merge", "merge"));
    let types = types_code(&generated, "merge");
    for name in ["User", "Role", "Error", "Channel"] {
        assert_eq!(definitions_of(types, name), 1, "{name}:\n{types}");
    }
    assert!(types.contains("pub creator: ::std::option::Option<User>"), "{types}");
    assert_eq!(generated.summary.operations_in_spec, 4);
    assert_eq!(generated.summary.server_operations, 4);
    let server = server_code(&generated, "merge");
    for method in ["get_user", "update_user", "delete_user", "list_channels"] {
        assert!(server.contains(&format!("fn {method}(")), "{method} missing");
    }
}

#[test]
fn clashing_documents_are_reported_with_both_locations() {
    let error = generate(&fixture_file("merge-clash", "merge-clash"))
        .unwrap_err()
        .to_string();
    for clash in [
        "GET /things is defined at a.yaml#/paths/~1things/get and at b.yaml#/paths/~1things/get",
        "operationId `listThings` is used at a.yaml#/paths/~1things/get and at b.yaml#/paths/~1other/get",
        "components/schemas `Thing` is defined differently at a.yaml#/components/schemas/Thing and at b.yaml#/components/schemas/Thing",
    ] {
        assert!(error.contains(clash), "{clash}\nnot in:\n{error}");
    }
}

#[test]
fn json_spec_with_surrogate_escapes() {
    let generated = class_fixture_of(&fixture_file("json-surrogates", "json-surrogates.json"));
    let types = types_code(&generated, "json-surrogates");
    // Surrogate pairs decoded into the characters they stand for.
    assert!(
        types.contains("///One reaction, e.g. \u{1F389} or \u{2764}."),
        "{types}"
    );
    assert_eq!(generated.summary.server_operations, 1);
}

#[test]
fn unresolved_refs_are_errors_naming_file_and_pointer() {
    let api = fixture_file("unresolved", "unresolved/api.yaml");
    let error = generate(&api).unwrap_err().to_string();
    for expected in [
        "api.yaml#/paths/~1a/get/responses/200/content/application~1json/schema: `$ref: defs.yaml#/Nope` does not resolve: defs.yaml has nothing at `#/Nope`",
        "api.yaml#/paths/~1a/get/responses/201/content/application~1json/schema: `$ref: https://example.invalid/x.yaml` does not resolve: remote references are refused",
        "api.yaml#/paths/~1a/get/responses/202/content/application~1json/schema: `$ref: #/components/schemas/Missing` does not resolve",
        "defs.yaml#/Thing/properties/other: `$ref: missing.yaml` does not resolve: cannot read",
    ] {
        assert!(error.contains(expected), "{expected}\nnot in:\n{error}");
    }
    let allowed = generate(&ApiSpec {
        allow_unresolved: true,
        ..api
    })
    .unwrap();
    let report = diagnostics(&allowed);
    assert_eq!(report.matches("does not resolve").count(), 4, "{report}");
    assert_eq!(allowed.summary.server_operations, 1);
}
