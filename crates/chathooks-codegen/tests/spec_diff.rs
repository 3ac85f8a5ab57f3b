//! `spec_diff` on fixture pairs (`tests/fixtures/spec-diff/<case>/{old,new}.yaml`),
//! one pair per class of change, on the real specs, and on `REV:path` read
//! from a git repository the test creates.

use std::path::{Path, PathBuf};
use std::process::Command;

use chathooks_codegen::spec_diff::{self, Change, ChangeKind, Class, Report, Side, Source};
use serde_json::Value;

use ChangeKind::*;
use Class::{Breaking as B, Compatible as C};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-diff")
}

fn case(name: &str) -> Report {
    let dir = fixtures().join(name);
    spec_diff::diff_sources("old.yaml", "new.yaml", &dir, &dir).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn text(report: &Report) -> String {
    report.to_text("old.yaml", "new.yaml")
}

/// The one change of `kind` at `operation` (`GET /path`) and `location`.
fn change<'r>(report: &'r Report, kind: ChangeKind, operation: &str, location: &str) -> &'r Change {
    let found: Vec<&Change> = report
        .changes
        .iter()
        .filter(|c| c.kind == kind && c.operation() == operation && c.location == location)
        .collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!(
            "expected one {} at {operation} {location:?}, found {}:\n{}",
            kind.as_str(),
            found.len(),
            text(report)
        ),
    }
}

/// Assert the classes of a change, and return it.
#[track_caller]
fn assert_change<'r>(
    report: &'r Report,
    kind: ChangeKind,
    operation: &str,
    location: &str,
    clients: Class,
    servers: Class,
) -> &'r Change {
    let found = change(report, kind, operation, location);
    assert_eq!(
        (found.clients, found.servers),
        (clients, servers),
        "classes (clients, servers) of {found:?}\n{}",
        text(report)
    );
    found
}

#[test]
fn a_removed_response_property_breaks_clients() {
    let report = case("response-properties");
    let removed = assert_change(
        &report,
        PropertyRemoved,
        "GET /hooks/{hook_id}",
        "response 200 application/json $.display_name",
        B,
        C,
    );
    assert!(removed.message.contains("display_name"), "{}", removed.message);
    assert!(report.is_breaking(Side::Clients));
    assert!(report.is_breaking(Side::Any));
}

#[test]
fn response_properties() {
    let report = case("response-properties");
    let op = "GET /hooks/{hook_id}";
    let at = |p: &str| format!("response 200 application/json $.{p}");
    // Responses: narrower breaks servers (they write), wider breaks clients (they read).
    assert_change(&report, PropertyBecameOptional, op, &at("channel_id"), B, C);
    assert_change(&report, TypeChanged, op, &at("create_at"), B, B);
    assert_change(&report, EnumValueRemoved, op, &at("type"), C, B);
    assert_change(&report, EnumValueAdded, op, &at("state"), B, C);
    let nullable = assert_change(&report, TypeChanged, op, &at("nickname"), B, C);
    assert!(nullable.message.contains("null"), "{}", nullable.message);
    assert_change(&report, PropertyBecameRequired, op, &at("avatar"), C, B);
    assert_change(&report, PropertyAdded, op, &at("team_id"), C, B);
    assert_change(&report, PropertyAdded, op, &at("note"), C, C);
    // The format of create_at went with its type: one line, not two.
    assert_eq!(report.changes.len(), 9, "{}", text(&report));
    insta::assert_snapshot!("response_properties", text(&report));
}

#[test]
fn request_body() {
    let report = case("request-body");
    let op = "POST /hooks";
    let at = |p: &str| format!("request body application/json $.{p}");
    // Requests: narrower breaks clients (they write), wider breaks servers (they read).
    assert_change(&report, PropertyRemoved, op, &at("display_name"), B, C);
    assert_change(&report, PropertyBecameRequired, op, &at("channel_locked"), B, C);
    assert_change(&report, EnumValueRemoved, op, &at("kind"), B, C);
    assert_change(&report, EnumValueAdded, op, &at("kind"), C, B);
    assert_change(&report, TypeChanged, op, &at("icon_url"), B, B);
    assert_change(&report, PropertyAdded, op, &at("team_id"), B, C);
    assert_change(&report, PropertyAdded, op, &at("description"), C, C);
    let form = "request body application/x-www-form-urlencoded";
    assert_change(&report, RequestMediaTypeRemoved, op, form, B, C);
    assert_change(
        &report,
        RequestMediaTypeAdded,
        op,
        "request body multipart/form-data",
        C,
        B,
    );
    assert_change(
        &report,
        RequestBodyBecameRequired,
        "PUT /hooks/{id}",
        "request body",
        B,
        C,
    );
    assert_change(
        &report,
        RequestBodyRemoved,
        "POST /hooks/{id}/ping",
        "request body",
        B,
        C,
    );
    // `id` is readOnly: its becoming required is not a request change.
    assert!(
        !report.changes.iter().any(|c| c.location.ends_with("$.id")),
        "{}",
        text(&report)
    );
    assert_eq!(report.changes.len(), 11, "{}", text(&report));
    insta::assert_snapshot!("request_body", text(&report));
}

#[test]
fn parameters() {
    let report = case("parameters");
    let op = "GET /items";
    assert_change(&report, ParameterRemoved, op, "parameter query page", B, C);
    assert_change(&report, ParameterBecameRequired, op, "parameter query filter", B, C);
    assert_change(&report, EnumValueRemoved, op, "parameter query sort", B, C);
    assert_change(&report, FormatChanged, op, "parameter query limit", C, B);
    assert_change(&report, ParameterAdded, op, "parameter query tenant", B, C);
    assert_change(&report, ParameterAdded, op, "parameter query q", C, C);
    assert_change(&report, TypeChanged, "GET /items/{id}", "parameter path id", B, B);
    // X-Trace and x-trace are the same header.
    assert!(
        !report.changes.iter().any(|c| c.location.contains("trace")),
        "{}",
        text(&report)
    );
    assert_eq!(report.changes.len(), 7, "{}", text(&report));
    insta::assert_snapshot!("parameters", text(&report));
}

#[test]
fn operations() {
    let report = case("operations");
    // `{id}` -> `{user_id}` is a rename, not a removal and an addition.
    assert_change(&report, PathParameterRenamed, "GET /users/{user_id}", "", C, C);
    assert!(
        !report
            .changes
            .iter()
            .any(|c| c.operation().starts_with("GET /users") && matches!(c.kind, OperationRemoved | OperationAdded)),
        "{}",
        text(&report)
    );
    assert_change(&report, OperationRemoved, "DELETE /users/{id}", "", B, C);
    assert_change(&report, OperationIdChanged, "GET /teams", "", C, C);
    let moved = assert_change(&report, OperationPathChanged, "POST /v2/ping", "", B, B);
    assert!(moved.message.contains("/legacy/ping"), "{}", moved.message);
    let added = assert_change(&report, OperationAdded, "POST /teams", "", C, B);
    assert_eq!(added.operation_id.as_deref(), Some("createTeam"));
    assert_eq!(report.changes.len(), 5, "{}", text(&report));
    insta::assert_snapshot!("operations", text(&report));
}

#[test]
fn responses() {
    let report = case("responses");
    assert_change(&report, ResponseRemoved, "GET /a", "response 200", B, B);
    assert_change(&report, ResponseRemoved, "GET /a", "response 404", C, B);
    assert_change(&report, ResponseAdded, "GET /a", "response 201", B, C);
    let array = assert_change(&report, TypeChanged, "GET /b", "response 200 application/json", B, B);
    assert!(array.message.contains("array"), "{}", array.message);
    assert_change(
        &report,
        ResponseMediaTypeRemoved,
        "GET /c",
        "response 200 text/plain",
        B,
        B,
    );
    assert_change(
        &report,
        ResponseMediaTypeAdded,
        "DELETE /f",
        "response 204 application/json",
        C,
        B,
    );
    // Another component of the same shape is no change; a 404 now under
    // `default` with the same body is none either.
    assert!(!report.changes.iter().any(|c| c.path == "/d"), "{}", text(&report));
    assert!(
        !report.changes.iter().any(|c| c.path == "/e" && c.kind != ResponseAdded),
        "{}",
        text(&report)
    );
    insta::assert_snapshot!("responses", text(&report));
}

#[test]
fn references_allof_and_cycles() {
    let report = case("refs");
    let at = |p: &str| format!("response 200 application/json $.{p}");
    // Node refers to itself: the change is reported once, at the top.
    assert_change(&report, PropertyRemoved, "GET /tree", &at("name"), B, C);
    assert_change(&report, PropertyAdded, "GET /tree", &at("label"), C, C);
    assert!(
        !report.changes.iter().any(|c| c.location.contains("children")),
        "{}",
        text(&report)
    );
    // allOf: the property of the referenced member, and of the inline one.
    assert_change(&report, PropertyRemoved, "GET /admin", &at("email"), B, C);
    assert_change(&report, TypeChanged, "GET /admin", &at("level"), B, C);
    // A and B refer to each other; the change is inside B.
    assert_change(&report, TypeChanged, "GET /pair", &at("b.v"), B, B);
    // A cycle of references only: no schema, no panic, and the same on both sides.
    assert!(!report.changes.iter().any(|c| c.path == "/loop"), "{}", text(&report));
    assert_eq!(report.changes.len(), 5, "{}", text(&report));
    insta::assert_snapshot!("refs", text(&report));
}

#[test]
fn schema_constructs() {
    let report = case("schemas");
    let op = "POST /events";
    let req = |p: &str| format!("request body application/json $.{p}");
    let res = |p: &str| format!("response 200 application/json $.{p}");
    let removed = assert_change(&report, VariantRemoved, op, &req("payload"), B, C);
    assert!(removed.message.contains("Image"), "{}", removed.message);
    assert_change(&report, EnumAdded, op, &req("color"), B, C);
    assert_change(&report, FormatChanged, op, &req("when"), B, C);
    assert_change(&report, TypeChanged, op, &req("labels.*"), B, B);
    assert_change(&report, ReferenceChanged, op, &req("external"), B, B);
    assert_change(
        &report,
        AdditionalPropertiesChanged,
        op,
        "request body application/json",
        B,
        C,
    );
    assert_change(&report, VariantAdded, op, &res("result"), B, C);
    assert_change(&report, EnumRemoved, op, &res("kind"), B, C);
    assert_eq!(report.changes.len(), 8, "{}", text(&report));
    insta::assert_snapshot!("schemas", text(&report));
}

#[test]
fn openapi_31_spellings() {
    let report = case("openapi-31");
    // `type: [string, "null"]` is `nullable: true`, `const` a one-value enum.
    let wider = assert_change(
        &report,
        TypeChanged,
        "POST /things",
        "request body application/json $.size",
        C,
        B,
    );
    assert!(wider.message.contains("integer"), "{}", wider.message);
    assert_eq!(report.changes.len(), 1, "{}", text(&report));
    assert!(!report.is_breaking(Side::Clients));
    assert!(report.is_breaking(Side::Servers));
}

#[test]
fn json_report_shape() {
    let report = case("response-properties");
    let json = report.to_json("a", "b");
    assert_eq!(json["old"], "a");
    assert_eq!(json["new"], "b");
    assert_eq!(json["breaking"]["clients"], true);
    assert_eq!(json["summary"]["changes"], report.changes.len());
    assert_eq!(
        json["summary"]["breaking_for_clients"],
        report.breaking_for(Side::Clients)
    );
    assert_eq!(json["truncated"], false);
    let changes = json["changes"].as_array().expect("changes is an array");
    let removed = changes
        .iter()
        .find(|c| c["kind"] == "property_removed")
        .expect("the removed property is listed");
    let keys: Vec<&str> = removed.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "kind",
            "method",
            "path",
            "operation_id",
            "location",
            "message",
            "clients",
            "servers",
            "schema",
            "places",
            "reached_from"
        ]
    );
    assert_eq!(removed["method"], "GET");
    assert_eq!(removed["path"], "/hooks/{hook_id}");
    assert_eq!(removed["operation_id"], "getHook");
    assert_eq!(removed["clients"], "breaking");
    assert_eq!(removed["servers"], "compatible");
    // The pretty text is the same document.
    let parsed: Value = serde_json::from_str(&report.to_json_string("a", "b")).unwrap();
    assert_eq!(parsed, json);
}

/// The workspace's specs, compared with themselves: nothing.
#[test]
fn a_spec_against_itself_has_no_changes() {
    let root = chathooks_codegen::workspace_root();
    let large = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mattermost-api-v4.yaml");
    for path in [
        root.join("spec/mattermost.yaml"),
        root.join("spec/rocketchat.yaml"),
        large,
    ] {
        let arg = path.display().to_string();
        let report = spec_diff::diff_sources(&arg, &arg, &root, &root).unwrap();
        assert!(report.changes.is_empty(), "{arg}:\n{}", text(&report));
        assert!(!report.truncated, "{arg}");
    }
}

/// `spec/mattermost.yaml` with a property taken out of a response schema:
/// one change, at that schema, reached from every operation answering it,
/// breaking clients.
#[test]
fn a_property_removed_from_the_real_spec() {
    let root = chathooks_codegen::workspace_root();
    let old = chathooks_codegen::load::load_value(&root.join("spec/mattermost.yaml")).unwrap();
    let mut new = old.clone();
    let properties = new
        .pointer_mut("/components/schemas/IncomingWebhook/properties")
        .and_then(Value::as_object_mut)
        .expect("IncomingWebhook has properties");
    assert!(properties.shift_remove("display_name").is_some());
    let report = spec_diff::diff(&old, &new);

    // Expected: the operations whose responses refer to IncomingWebhook, directly or through the list.
    let mut expected = Vec::new();
    for (path, item) in old["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].to_string();
            if responses.contains("/IncomingWebhook\"") || responses.contains("/IncomingWebhookList\"") {
                expected.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(expected.len() >= 3, "{expected:?}");
    let responses: Vec<&Change> = report
        .changes
        .iter()
        .filter(|c| c.location.starts_with("response "))
        .collect();
    assert_eq!(responses.len(), 1, "{}", text(&report));
    let removed = responses[0];
    assert_eq!(
        removed.schema.as_deref(),
        Some("#/components/schemas/IncomingWebhook $.display_name")
    );
    assert!(text(&report).contains(&format!("reached from {} places]", removed.places.len())));
    let mut reported: Vec<String> = removed
        .places
        .iter()
        .map(|place| place.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    reported.sort();
    reported.dedup();
    expected.sort();
    assert_eq!(reported, expected, "{}", text(&report));
    for c in report.changes.iter().filter(|c| c.location.starts_with("response ")) {
        assert_eq!(c.kind, PropertyRemoved, "{c:?}");
        assert!(c.location.ends_with(".display_name"), "{c:?}");
        assert_eq!((c.clients, c.servers), (B, C), "{c:?}");
    }
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=spec-diff test",
            "-c",
            "user.email=spec-diff@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `REV:path` against a repository of our own: the committed version is
/// OLD, the working file NEW.
#[test]
fn git_revision_and_path() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    let pair = fixtures().join("response-properties");
    std::fs::create_dir(dir.join("spec")).unwrap();
    std::fs::copy(pair.join("old.yaml"), dir.join("spec/api.yaml")).unwrap();
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "old"]);
    git(dir, &["tag", "v1"]);
    std::fs::copy(pair.join("new.yaml"), dir.join("spec/api.yaml")).unwrap();

    assert_eq!(
        Source::parse("v1:spec/api.yaml", dir),
        Source::Git {
            rev: "v1".into(),
            path: "spec/api.yaml".into()
        }
    );
    let report = spec_diff::diff_sources("v1:spec/api.yaml", "spec/api.yaml", dir, dir).unwrap();
    let expected = case("response-properties");
    assert_eq!(report.changes, expected.changes);
    change(
        &report,
        PropertyRemoved,
        "GET /hooks/{hook_id}",
        "response 200 application/json $.display_name",
    );
    // The same revision on both sides: nothing.
    let same = spec_diff::diff_sources("HEAD:spec/api.yaml", "v1:spec/api.yaml", dir, dir).unwrap();
    assert!(same.changes.is_empty(), "{}", text(&same));

    // Errors name the source and what failed.
    let missing = spec_diff::diff_sources("v1:spec/nope.yaml", "spec/api.yaml", dir, dir)
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("v1:spec/nope.yaml") && missing.contains("git show"),
        "{missing}"
    );
    let bad_rev = spec_diff::diff_sources("no-such-rev:spec/api.yaml", "spec/api.yaml", dir, dir)
        .unwrap_err()
        .to_string();
    assert!(bad_rev.contains("no-such-rev:spec/api.yaml"), "{bad_rev}");

    // A file whose name has a colon in it is a file.
    std::fs::copy(pair.join("new.yaml"), dir.join("v1:spec")).unwrap();
    assert_eq!(Source::parse("v1:spec", dir), Source::File(dir.join("v1:spec")));
}

#[test]
fn unreadable_documents_are_errors_with_context() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("ok.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n");
    write(
        "swagger.yaml",
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
    );
    write("list.yaml", "- 1\n- 2\n");
    write("broken.yaml", "openapi: [\n");
    write("v4.yaml", "openapi: 4.0.0\npaths: {}\n");
    let error = |name: &str| {
        spec_diff::diff_sources(name, "ok.yaml", dir.path(), dir.path())
            .unwrap_err()
            .to_string()
    };
    for (name, what) in [
        ("swagger.yaml", "Swagger 2.0"),
        ("list.yaml", "not a mapping"),
        ("broken.yaml", "not valid YAML"),
        ("v4.yaml", "unsupported `openapi` version"),
        ("missing.yaml", "cannot read"),
    ] {
        let message = error(name);
        assert!(message.contains(name) && message.contains(what), "{name}: {message}");
    }
}

/// Odd documents are compared without panicking.
#[test]
fn odd_input_does_not_panic() {
    let docs = [
        r##"{"openapi": "3.0.3", "paths": []}"##,
        r##"{"openapi": "3.0.3", "paths": {"/a": "not an item", "/b": {"get": "not an operation"}}}"##,
        r##"{"openapi": "3.0.3", "paths": {"/a": {"get": {"parameters": {"x": 1}, "requestBody": 3, "responses": []}}}}"##,
        r##"{"openapi": "3.0.3", "paths": {"/a/{x}": {"get": {"parameters": [{"name": 1}, {"$ref": 7}, {"$ref": "#/nowhere"}],
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "https://example.invalid/x.json"}}}}}}}}}"##,
        r##"{"openapi": "3.1.0", "paths": {"/a/:x/{": {"get": {"responses": {"2xx": {"content": {"application/json": {"schema":
            {"type": 7, "enum": "x", "required": "y", "properties": [], "items": true, "allOf": [{"$ref": "#"}, 3],
             "oneOf": {}, "anyOf": [true, false], "additionalProperties": 1}}}}}}}}}"##,
        r##"{"openapi": "3.0.3", "paths": {"/a": {"$ref": "#/paths/~1a", "get": {"responses": {"default": {"$ref": "#/paths/~1a/get/responses/default"}}}}},
            "components": {"schemas": {"S": {"allOf": [{"$ref": "#/components/schemas/S"}], "properties": {"s": {"$ref": "#/components/schemas/S"}}}}}}"##,
        r##"{"openapi": "3.0.3", "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}}}}}},
            "components": {"schemas": {"S": {"type": "object", "properties": {"s": {"$ref": "#/components/schemas/S"}, "t": {"type": "array", "items": {"$ref": "#/components/schemas/S"}}}}}}}"##,
    ];
    let values: Vec<Value> = docs
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("{d}: {e}")))
        .collect();
    for old in &values {
        for new in &values {
            let report = spec_diff::diff(old, new);
            let _ = report.to_text("old", "new");
            let _ = report.to_json("old", "new");
        }
    }
}

const THINGS: &str = "POST /things";

fn req(path: &str) -> String {
    if path.is_empty() {
        "request body application/json".to_owned()
    } else {
        format!("request body application/json $.{path}")
    }
}

fn res(path: &str) -> String {
    if path.is_empty() {
        "response 200 application/json".to_owned()
    } else {
        format!("response 200 application/json $.{path}")
    }
}

#[test]
fn enums_are_sets_whether_enum_or_one_of_const() {
    let report = case("enum-sets");
    // One value inserted into a oneOf of const: one change, not one per
    // later position. A reordered enum: nothing.
    assert_change(&report, EnumValueAdded, THINGS, &req("color"), C, B);
    assert_change(&report, EnumValueRemoved, THINGS, &res("palette"), C, B);
    assert_eq!(report.changes.len(), 2, "{}", text(&report));
    insta::assert_snapshot!("enum_sets", text(&report));
}

#[test]
fn placeholders_filled_in_narrow() {
    let report = case("placeholders");
    let filled = assert_change(&report, EnumAdded, THINGS, &req("kind"), B, C);
    assert!(filled.message.contains("placeholder"), "{}", filled.message);
    assert_change(&report, TypeChanged, THINGS, &req("payload"), B, C);
    assert_eq!(report.changes.len(), 2, "{}", text(&report));
}

#[test]
fn a_choice_of_required_lists_is_judged_by_what_it_accepts() {
    let report = case("required-variants");
    // Added in a request: accepts less, breaks clients only.
    assert_change(&report, TypeChanged, THINGS, &req(""), B, C);
    // Lifted in a response: accepts more, breaks clients (readers) only.
    assert_change(&report, TypeChanged, THINGS, &res(""), B, C);
    assert_eq!(report.changes.len(), 2, "{}", text(&report));
}

#[test]
fn limits_and_formats_with_their_bounds() {
    let report = case("limits");
    assert_change(&report, LimitChanged, THINGS, &req("name"), B, C);
    assert_change(&report, LimitChanged, THINGS, &req("tags"), C, B);
    assert_change(&report, LimitChanged, THINGS, &req("code"), B, B);
    // int32 on an unbounded integer narrows; on one bounded to 0..150 it does not.
    assert_change(&report, FormatChanged, THINGS, &req("count"), B, C);
    assert!(
        !report.changes.iter().any(|c| c.location == req("age")),
        "{}",
        text(&report)
    );
    assert_change(&report, LimitChanged, THINGS, &res("score"), C, B);
    assert_eq!(report.changes.len(), 5, "{}", text(&report));
    insta::assert_snapshot!("limits", text(&report));
}

#[test]
fn ci_formats() {
    let report = case("limits");
    let github = report.to_github("spec/new.yaml", Side::Clients);
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(lines.len(), 6, "{github}");
    // Breaking for clients: errors; breaking for servers only: warnings.
    assert!(
        lines[0].starts_with("::error file=spec/new.yaml,title=spec-diff%3A limit_changed"),
        "{github}"
    );
    assert!(lines[0].contains(
        "::POST /things (createThing) at request body application/json $.name: limit_changed: maxLength 64 -> 32"
    ));
    assert!(lines[1].starts_with("::warning "), "{github}");
    assert_eq!(lines[5], "5 change(s): 3 breaking for clients, 3 breaking for servers");

    let junit = report.to_junit("old.yaml", "new.yaml", Side::Clients);
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(junit.contains("tests=\"5\" failures=\"3\""), "{junit}");
    assert_eq!(junit.matches("<testcase ").count(), 5);
    assert_eq!(junit.matches("<failure ").count(), 3);
    assert!(junit.contains("pattern &quot;^[a-z]+$&quot;"), "{junit}");

    let markdown = report.to_markdown("old.yaml", "new.yaml");
    assert!(
        markdown.starts_with("### spec-diff `old.yaml` → `new.yaml`"),
        "{markdown}"
    );
    assert_eq!(markdown.matches("\n| ").count(), 6, "{markdown}"); // header + 5 rows
    assert!(
        markdown.contains("| **breaking** | ok | `POST /things` (createThing) | limit_changed |"),
        "{markdown}"
    );

    let nothing = case("required-variants");
    let same = spec_diff::diff(&Value::Null, &Value::Null);
    assert!(same.to_junit("a", "a", Side::Any).contains("name=\"no changes\""));
    assert!(!nothing.to_junit("a", "b", Side::Servers).contains("<failure"));
}

#[test]
fn a_change_in_a_shared_schema_is_listed_once() {
    let report = case("shared-schema");
    let removed = assert_change(
        &report,
        EnumValueRemoved,
        "GET /themes",
        "response 200 application/json $[].palette.primary",
        C,
        B,
    );
    assert_eq!(
        removed.schema.as_deref(),
        Some("#/components/schemas/Palette $.primary")
    );
    // Three operations, each reaching the palette through two properties.
    assert_eq!(removed.places.len(), 6, "{:?}", removed.places);
    assert_eq!(report.changes.len(), 1, "{}", text(&report));
    insta::assert_snapshot!("shared_schema", text(&report));
}

/// A spec split over files: each side read through the bundler `generate`
/// uses, given as its main file or as its directory. The change inside
/// `definitions/user.yaml` is reported once, at the schema that file
/// becomes, with the places reaching it (through a second file too).
#[test]
fn a_change_inside_a_referenced_file_is_reported_at_its_schema() {
    let dir = fixtures().join("multi-file");
    for (old, new) in [("old/api.yaml", "new/api.yaml"), ("old", "new")] {
        let report = spec_diff::diff_sources(old, new, &dir, &dir).unwrap_or_else(|e| panic!("{old}: {e}"));
        let removed = assert_change(
            &report,
            PropertyRemoved,
            "GET /users/{id}",
            "response 200 application/json $.nickname",
            B,
            C,
        );
        assert_eq!(removed.schema.as_deref(), Some("#/components/schemas/User $.nickname"));
        // getUser, listMembers, and getTeam through the team's members.
        assert_eq!(removed.places.len(), 3, "{:?}", removed.places);
        assert_eq!(report.changes.len(), 1, "{}", report.to_text(old, new));
        if old == "old" {
            insta::assert_snapshot!("multi_file", report.to_text(old, new));
        }
    }
    // Each side against itself: nothing.
    let same = spec_diff::diff_sources("old/api.yaml", "old", &dir, &dir).unwrap();
    assert!(same.changes.is_empty(), "{}", text(&same));
}

/// `REV:path` of a multi-file spec reads the files it refers to as they
/// were at that revision.
#[test]
fn a_multi_file_spec_at_a_git_revision() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    let pair = fixtures().join("multi-file");
    copy_dir(&pair.join("old"), &dir.join("spec"));
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "old"]);
    git(dir, &["tag", "v1"]);
    std::fs::copy(
        pair.join("new/definitions/user.yaml"),
        dir.join("spec/definitions/user.yaml"),
    )
    .unwrap();
    let report = spec_diff::diff_sources("v1:spec/api.yaml", "spec/api.yaml", dir, dir).unwrap();
    let expected = spec_diff::diff_sources("old", "new", &pair, &pair).unwrap();
    assert_eq!(report.changes, expected.changes);
    assert_eq!(report.changes.len(), 1, "{}", text(&report));

    // A ref that does not resolve names the file and where it is written.
    std::fs::remove_file(dir.join("spec/definitions/team.yaml")).unwrap();
    let error = spec_diff::diff_sources("v1:spec/api.yaml", "spec/api.yaml", dir, dir)
        .unwrap_err()
        .to_string();
    assert!(error.contains("team.yaml") && error.contains("user.yaml"), "{error}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
