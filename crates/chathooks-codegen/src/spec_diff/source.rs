//! Where a spec to compare comes from: a file, a directory, or `REV:path`
//! read from git. A spec split over files (relative `$ref`s into others),
//! or a directory of documents, is made into one document by the bundler
//! `generate` uses ([`crate::bundle`]): a schema in another file becomes one
//! component schema, so a change inside it is reported once, at that schema.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{Error, load};

/// One side of a comparison, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file or a directory, relative paths taken from the directory given
    /// to [`Source::parse`].
    File(PathBuf),
    /// `git show REV:path`, run in the repository directory given to [`Source::load`].
    Git { rev: String, path: String },
}

impl Source {
    /// An existing file is a file, even if its name has a colon in it;
    /// otherwise `REV:path` (both parts non-empty) is read from git, and
    /// anything else is a file that will fail to open.
    pub fn parse(arg: &str, cwd: &Path) -> Source {
        let file = cwd.join(arg);
        if file.exists() {
            return Source::File(file);
        }
        match arg.split_once(':') {
            Some((rev, path)) if !rev.is_empty() && !path.is_empty() => Source::Git {
                rev: rev.to_owned(),
                path: path.to_owned(),
            },
            _ => Source::File(file),
        }
    }

    /// How this source is named in reports and errors.
    pub fn display(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Git { rev, path } => format!("{rev}:{path}"),
        }
    }

    /// Read the document, through the one YAML loader. `repo` is where
    /// `git show` runs (the workspace root).
    pub fn load(&self, repo: &Path) -> Result<Value, Error> {
        let value = match self {
            Source::File(path) if path.is_dir() => bundled(path)?,
            Source::File(path) => {
                let value = load::load_value(path)?;
                if refers_to_other_files(&value) {
                    bundled(path)?
                } else {
                    value
                }
            }
            Source::Git { rev, path } => {
                let text = git_show(rev, path, repo).map_err(|message| self.error(message))?;
                let value = load::parse_value(&text).map_err(|message| self.error(message))?;
                if refers_to_other_files(&value) {
                    // The files it refers to, as they were at `rev`.
                    let tree = TreeAt::extract(rev, repo).map_err(|message| self.error(message))?;
                    bundled(&tree.dir.join(path)).map_err(|error| self.error(error.to_string()))?
                } else {
                    value
                }
            }
        };
        check_document(&value).map_err(|message| self.error(message))?;
        Ok(value)
    }

    fn error(&self, message: String) -> Error {
        Error::Spec {
            path: PathBuf::from(self.display()),
            message,
        }
    }
}

/// The one document a multi-file spec or a directory makes. A ref that
/// does not resolve is an error naming the file and the pointer.
fn bundled(path: &Path) -> Result<Value, Error> {
    crate::bundle::load_specs(&[path.to_owned()], false).map(|bundled| bundled.value)
}

/// Whether any `$ref` in `value` names another file by a relative path.
/// A remote one (`https://…`) is left as written, compared as text, as
/// the bundler would refuse it (no network).
fn refers_to_other_files(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, child)| match (key.as_str(), child) {
            ("$ref", Value::String(reference)) => !reference.starts_with('#') && !reference.contains("://"),
            _ => refers_to_other_files(child),
        }),
        Value::Array(items) => items.iter().any(refers_to_other_files),
        _ => false,
    }
}

/// The repository's files at a revision, in a temporary directory removed
/// when this is dropped (`git archive`, unpacked with `tar`).
struct TreeAt {
    dir: PathBuf,
}

impl TreeAt {
    fn extract(rev: &str, repo: &Path) -> Result<Self, String> {
        use std::io::Write;
        use std::process::Stdio;

        if rev.starts_with('-') {
            return Err(format!("`{rev}` is not a git revision"));
        }
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chathooks-spec-diff-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let tree = TreeAt { dir };
        let archive = Command::new("git")
            .args(["archive", "--format=tar", rev])
            .current_dir(repo)
            .output()
            .map_err(|e| format!("cannot run `git archive {rev}` in {}: {e}", repo.display()))?;
        if !archive.status.success() {
            return Err(format!(
                "`git archive {rev}` in {} failed: {}",
                repo.display(),
                String::from_utf8_lossy(&archive.stderr).trim()
            ));
        }
        let mut tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&tree.dir)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `tar` to unpack {rev}: {e}"))?;
        let written = tar
            .stdin
            .take()
            .map(|mut stdin| stdin.write_all(&archive.stdout))
            .transpose();
        let output = tar.wait_with_output().map_err(|e| format!("`tar` failed: {e}"))?;
        if let Err(e) = written {
            return Err(format!("cannot hand {rev} to `tar`: {e}"));
        }
        if !output.status.success() {
            return Err(format!(
                "`tar` could not unpack {rev}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(tree)
    }
}

impl Drop for TreeAt {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn git_show(rev: &str, path: &str, repo: &Path) -> Result<String, String> {
    if rev.starts_with('-') {
        return Err(format!("`{rev}` is not a git revision"));
    }
    let object = format!("{rev}:{path}");
    let output = Command::new("git")
        .arg("show")
        .arg(&object)
        .current_dir(repo)
        .output()
        .map_err(|e| format!("cannot run `git show {object}` in {}: {e}", repo.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "no such file, and `git show {object}` in {} failed: {}",
            repo.display(),
            stderr.trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("`git show {object}` is not UTF-8 text"))
}

/// Refuse what is not an OpenAPI 3 document, naming what it is instead.
/// 3.0 and 3.1 are both read; a missing `openapi` field is tolerated.
fn check_document(value: &Value) -> Result<(), String> {
    let Some(object) = value.as_object() else {
        return Err("not an OpenAPI document: the top level is not a mapping".to_owned());
    };
    if let Some(version) = object.get("swagger") {
        return Err(format!(
            "a Swagger {} document; spec-diff reads OpenAPI 3.0 and 3.1 (convert it first, e.g. with swagger2openapi)",
            version
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| version.to_string())
        ));
    }
    match object.get("openapi") {
        None => Ok(()),
        Some(Value::String(version)) if version.starts_with("3.") => Ok(()),
        Some(other) => Err(format!(
            "unsupported `openapi` version {other}; spec-diff reads 3.0 and 3.1"
        )),
    }
}
