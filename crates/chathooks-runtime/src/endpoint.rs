//! The per-operation work of a generated server, written once: a generated
//! crate describes each operation by implementing [`Endpoint`] (its static
//! [`OperationSpec`], how its typed request is taken from a [`Prepared`]
//! request, and which trait method serves it), and [`Router`] routes every
//! endpoint to [`handle`].

use std::future::Future;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};

use crate::{Credential, Operation, OperationSpec, Prepared, RequestError, RequestErrorKind, Schemas};

/// The result of taking a typed request out of a [`Prepared`] one.
pub type Result<T> = std::result::Result<T, RequestError>;

/// The hook answering refused requests in the API's own error format (the
/// generated trait's `request_error`).
pub type Refuse<A> = fn(&A, RequestError) -> Response;

/// One operation of a generated server, implemented by the operation's
/// request type for every implementation `A` of the generated trait.
pub trait Endpoint<A: ?Sized>: Sized + Send + 'static {
    /// The operation's security requirements, and what the trait method is
    /// handed for them.
    type Security: Security;
    /// Parameters, accepted bodies and security, as the runtime reads them.
    const SPEC: &'static OperationSpec;
    /// The typed request, from a request that passed extraction and validation.
    fn request(prepared: &mut Prepared) -> Result<Self>;
    /// Call the trait method serving the operation; its answer is the
    /// operation's response enum. Generated impls name that enum as the
    /// return type (`async fn call(..) -> Response`), a refinement they allow
    /// (`refining_impl_trait`) so callers of `call` get the enum itself.
    fn call(
        api: &A,
        credentials: <Self::Security as Security>::Credentials,
        request: Self,
    ) -> impl Future<Output = impl IntoResponse> + Send;
}

/// A list of security requirement alternatives, shared by the operations that
/// declare the same list: how the matched [`Credential`] becomes what the
/// trait method is handed.
pub trait Security: 'static {
    /// The generated `Credentials`, `Option<Credentials>` when an empty
    /// alternative makes authentication optional, `()` without security.
    type Credentials: Send;
    /// `None` refuses the request as unauthenticated.
    fn credentials(credential: Option<Credential>) -> Option<Self::Credentials>;
}

/// No security requirement: nothing to hand over.
pub struct Anonymous;

impl Security for Anonymous {
    type Credentials = ();

    fn credentials(_: Option<Credential>) -> Option<()> {
        Some(())
    }
}

/// Serve one request for endpoint `E`: prepare it (credentials, parameters,
/// body, validation), convert the credentials, take the typed request, call
/// the implementation. Every refusal goes through `refuse`.
pub async fn handle<A, E>(api: Arc<A>, operation: Arc<Operation>, refuse: Refuse<A>, request: Request) -> Response
where
    A: Send + Sync + 'static,
    E: Endpoint<A>,
{
    let mut prepared = match operation.prepare(request).await {
        Ok(prepared) => prepared,
        Err(error) => return refuse(&api, error),
    };
    let Some(credentials) = E::Security::credentials(prepared.credential.take()) else {
        let kind = RequestErrorKind::Unauthenticated;
        return refuse(
            &api,
            RequestError {
                operation_id: E::SPEC.operation_id,
                kind,
            },
        );
    };
    let request = match E::request(&mut prepared) {
        Ok(request) => request,
        Err(error) => return refuse(&api, error),
    };
    E::call(&api, credentials, request).await.into_response()
}

/// Builds the axum router of a generated server: one route per spec path,
/// each method of it served by [`handle`] for its endpoint.
pub struct Router<A> {
    api: Arc<A>,
    schemas: Arc<Schemas>,
    refuse: Refuse<A>,
    /// Paths in the order they were first served, with their methods.
    routes: Vec<(&'static str, MethodRouter)>,
}

impl<A: Send + Sync + 'static> Router<A> {
    /// `schemas`: the spec's schemas as draft-4 JSON Schema definitions.
    pub fn new(api: Arc<A>, schemas: &str, refuse: Refuse<A>) -> Self {
        Self {
            api,
            schemas: Arc::new(Schemas::new(schemas)),
            refuse,
            routes: Vec::new(),
        }
    }

    /// Serve endpoint `E` at its spec path and method.
    pub fn serve<E: Endpoint<A>>(mut self) -> Self {
        let spec = E::SPEC;
        let Some(filter) = method_filter(spec.method) else {
            tracing::error!(
                operation = spec.operation_id,
                method = spec.method,
                "unroutable method; not served"
            );
            return self;
        };
        let api = self.api.clone();
        let refuse = self.refuse;
        let operation = Arc::new(Operation::new(spec, self.schemas.clone()));
        let handler = move |request: Request| handle::<A, E>(api.clone(), operation.clone(), refuse, request);
        match self.routes.iter_mut().find(|(path, _)| *path == spec.path) {
            Some((_, methods)) => *methods = std::mem::take(methods).on(filter, handler),
            None => self.routes.push((spec.path, MethodRouter::new().on(filter, handler))),
        }
        self
    }

    pub fn finish(self) -> axum::Router {
        self.routes
            .into_iter()
            .fold(axum::Router::new(), |router, (path, methods)| {
                router.route(path, methods)
            })
    }
}

fn method_filter(method: &str) -> Option<MethodFilter> {
    MethodFilter::try_from(Method::from_bytes(method.as_bytes()).ok()?).ok()
}
