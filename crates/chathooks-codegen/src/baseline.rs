//! progenitor alone, for `cargo xtask bench`: its client for a spec, with
//! progenitor's default settings (it generates every type itself), formatted
//! with prettyplease like our output.
//!
//! Handed the spec as written, progenitor refuses all three benchmark specs
//! (see [`as_written`]); so the time compared is progenitor's on the copy we
//! hand it ([`on_adapted_copy`]): the spec upgraded, normalized and adapted,
//! which work is not counted.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::catch::catch;

fn generate(spec: Value) -> Result<usize, String> {
    let parsed: openapiv3::OpenAPI =
        serde_json::from_value(spec).map_err(|e| format!("openapiv3 does not parse it: {e}"))?;
    let tokens = catch(|| {
        progenitor_impl::Generator::new(&progenitor_impl::GenerationSettings::default())
            .generate_tokens(&parsed)
            .map_err(|e| e.to_string())
    })?;
    let file: syn::File = syn::parse2(tokens).map_err(|e| e.to_string())?;
    Ok(prettyplease::unparse(&file).len())
}

/// progenitor on the spec as written (3.1 after [`crate::upgrade`] only,
/// which it would refuse outright): the time, and the bytes it generated or
/// why it failed.
pub fn as_written(spec: &Value) -> (Duration, Result<usize, String>) {
    let mut spec = spec.clone();
    let started = Instant::now();
    let result = crate::upgrade::to_openapi_30(&mut spec).and_then(|_| generate(spec));
    (started.elapsed(), result)
}

/// The spec as our client emitter hands it to progenitor (prepared here,
/// untimed).
pub fn adapted_copy(spec: &Value) -> Result<Value, String> {
    let mut spec = spec.clone();
    crate::upgrade::to_openapi_30(&mut spec)?;
    let normalized = crate::normalize::normalize(spec);
    Ok(crate::emit_client::adapt(&normalized.spec).spec)
}

/// progenitor generating and formatting its client for `adapted` (from
/// [`adapted_copy`]): the time, and the bytes or why it failed.
pub fn on_adapted_copy(adapted: &Value) -> (Duration, Result<usize, String>) {
    let started = Instant::now();
    let result = generate(adapted.clone());
    (started.elapsed(), result)
}
