//! The committed generated crates must be what the specs generate, byte for
//! byte: this is `cargo xtask codegen --check` as an ordinary test.

use chathooks_codegen::{FileState, files, generate, workspace_apis, workspace_root};

#[test]
fn generated_crates_are_up_to_date() {
    let root = workspace_root();
    let apis = workspace_apis(&root).expect("spec/ is readable");
    assert!(!apis.is_empty(), "no spec/*.yaml found under {}", root.display());
    let mut stale = Vec::new();
    for api in &apis {
        let generated = generate(api).unwrap_or_else(|e| panic!("generating {}: {e}", api.name));
        for file in &generated.files {
            if files::state(file) != FileState::Unchanged {
                let display = file
                    .path
                    .strip_prefix(&root)
                    .unwrap_or(&file.path)
                    .display()
                    .to_string();
                stale.push(format!(
                    "{display} was not up to date, run `cargo xtask codegen`\n{}",
                    files::diff(file, &display)
                ));
            }
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}
