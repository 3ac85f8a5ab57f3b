//! Answers encoded once and served many times.
//!
//! Every generated `Response` enum has an `Encoded` variant holding an
//! [`Encoded`] of that same enum. A handler that serves the same answer over
//! and over (a page of a list that has not changed) encodes it once, keeps the
//! encoding, and hands out clones: a clone shares the body's bytes, so the
//! answer is neither rebuilt nor serialized again. Profiles of a hook list
//! showed serializing the page and copying its records as nearly half of the
//! request.
//!
//! An `Encoded<R>` can only be made from an `R`, so the bytes are always an
//! answer the operation documents.

use std::marker::PhantomData;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// An answer of operation response type `R`, already encoded: its status,
/// headers and body. Cheap to clone.
pub struct Encoded<R> {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    answer: PhantomData<fn() -> R>,
}

impl<R: IntoResponse> Encoded<R> {
    /// Encode `answer` as it would be sent.
    ///
    /// Generated answers are built in memory, so reading the body does not
    /// wait; a body that fails to read (only a streamed one could) is kept
    /// as an empty 500, as any answer that cannot be produced would be.
    pub async fn of(answer: R) -> Self {
        let (parts, body) = answer.into_response().into_parts();
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(body) => Self {
                status: parts.status,
                headers: parts.headers,
                body,
                answer: PhantomData,
            },
            Err(error) => {
                tracing::error!(%error, "could not encode an answer");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    headers: HeaderMap::new(),
                    body: Bytes::new(),
                    answer: PhantomData,
                }
            }
        }
    }
}

impl<R> Encoded<R> {
    /// The encoded status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The encoded body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

impl<R> Clone for Encoded<R> {
    fn clone(&self) -> Self {
        Self {
            status: self.status,
            headers: self.headers.clone(),
            body: self.body.clone(),
            answer: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for Encoded<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoded")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl<R> IntoResponse for Encoded<R> {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_encoded_answer_is_sent_as_the_answer_itself() {
        let answer = || crate::json_response(201u16, &serde_json::json!({"id": "abc", "n": [1, 2]}));
        let encoded = Encoded::of(answer()).await;
        assert_eq!(encoded.status(), StatusCode::CREATED);

        for sent in [encoded.clone().into_response(), encoded.into_response()] {
            let direct = answer();
            assert_eq!(sent.status(), direct.status());
            assert_eq!(sent.headers(), direct.headers());
            let sent = axum::body::to_bytes(sent.into_body(), usize::MAX).await.unwrap();
            let direct = axum::body::to_bytes(direct.into_body(), usize::MAX).await.unwrap();
            assert_eq!(sent, direct);
            assert_eq!(&sent[..], br#"{"id":"abc","n":[1,2]}"#);
        }
    }
}
