//! Where a spec to compare comes from: a file, or `REV:path` read from git.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{Error, load};

/// One side of a comparison, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, relative paths taken from the directory given to [`Source::parse`].
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
            Source::File(path) => load::load_value(path)?,
            Source::Git { rev, path } => {
                let text = git_show(rev, path, repo).map_err(|message| self.error(message))?;
                load::parse_value(&text).map_err(|message| self.error(message))?
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
