//! Accepting connections, with a bound on everything a client can make the
//! server hold by merely connecting: how many connections are open, how long
//! a client may take to send a request's head, how long a kept-alive
//! connection may sit idle, and how long shutdown waits for what is left.
//!
//! `axum::serve` offers none of these (its connections have no timer: 50
//! half-sent requests were all still open after 70 s, and SIGTERM waited for
//! them), so the accept loop is written here over hyper-util's connection
//! builder, which serves HTTP/1 (with upgrades, for the WebSockets) and
//! HTTP/2 as `axum::serve` did.
//!
//! The two timeouts are kept by one watchdog per connection, from what the
//! connection did last: while no request is being answered, a connection
//! that has not sent a byte since its last answer (or since it opened) is
//! closed after the idle timeout, and one that has started a request is
//! closed unless its head is complete within the header timeout. A request
//! being answered (a slow upload, a long poll, the live stream) is never
//! cut short by either. hyper's own `header_read_timeout` cannot be used for
//! the first: its clock starts when the connection starts waiting, so it
//! would bound the idle time to the header timeout as well.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The connection limits (`--header-timeout-secs`, `--idle-timeout-secs`,
/// `--max-connections`, `--shutdown-timeout-secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most time between a request's first byte and the end of its head.
    pub header_timeout: Duration,
    /// Most time a connection may stay open with no request under way.
    pub idle_timeout: Duration,
    /// Most connections open at once; the next ones are answered 503.
    pub max_connections: usize,
    /// Most time shutdown waits for open connections before closing them.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            // Mattermost's `IdleTimeout` default.
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// The answer to a connection past `--max-connections`, written before its
/// request is read. 503 rather than leaving it in the listen backlog: a
/// client left there cannot tell a full server from a hung one and waits for
/// its own timeout, while this one learns why at once and when to retry.
const BUSY_BODY: &str = "chathooks: too many open connections (--max-connections); retry shortly\n";

/// Over-limit connections answered at the same time; past this they are
/// closed without an answer (each answer holds its socket up to a second).
const BUSY_ANSWERS: usize = 64;

/// How long an over-limit connection is read after its answer, so that the
/// close does not reset the connection before the client reads the 503.
const BUSY_LINGER: Duration = Duration::from_secs(1);

/// Serve `app` on `listener` until `shutdown` resolves; then stop accepting,
/// let requests under way finish, and close whatever is still open after
/// [`Limits::shutdown_timeout`].
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The watchdog keeps the header timeout; hyper's has no timer to run on.
    builder.http1().header_read_timeout(None);
    let builder = Arc::new(builder);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let busy_answers = Arc::new(Semaphore::new(BUSY_ANSWERS));
    let stopping = CancellationToken::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors and the like: wait, as axum::serve does.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match open.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let connection = Connection {
                            builder: builder.clone(),
                            app: app.clone(),
                            limits,
                            stopping: stopping.clone(),
                        };
                        connections.spawn(async move {
                            connection.serve(stream).await;
                            drop(permit);
                        });
                    }
                    Err(_) => match busy_answers.clone().try_acquire_owned() {
                        Ok(permit) => {
                            tokio::spawn(async move {
                                answer_busy(stream).await;
                                drop(permit);
                            });
                        }
                        Err(_) => drop(stream),
                    },
                }
            }
        }
    }
    drop(listener);
    stopping.cancel();
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open at the shutdown deadline (--shutdown-timeout-secs) were closed"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Tell a connection past the limit so, then close it.
async fn answer_busy(mut stream: TcpStream) {
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{BUSY_BODY}",
        BUSY_BODY.len()
    );
    if stream.write_all(answer.as_bytes()).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(BUSY_LINGER, async {
        let mut sink = [0u8; 1024];
        while matches!(tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// What one connection task needs.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    app: axum::Router,
    limits: Limits,
    stopping: CancellationToken,
}

impl Connection {
    async fn serve(self, stream: TcpStream) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let app = self.app;
        let tracked = activity.clone();
        let service = tower::service_fn(move |request: Request<hyper::body::Incoming>| {
            let guard = tracked.begin();
            let answer = app.clone().oneshot(request.map(Body::new));
            async move {
                let response = match answer.await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| Body::new(Guarded { body, _guard: guard })))
            }
        });
        let connection = self
            .builder
            .serve_connection_with_upgrades(io, TowerToHyperService::new(service));
        tokio::pin!(connection);
        let mut stopping = false;
        loop {
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(error) = served {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    return;
                }
                () = activity.expired(&self.limits) => {
                    tracing::debug!("connection closed: idle, or its request head too slow");
                    return;
                }
                () = self.stopping.cancelled(), if !stopping => {
                    // Finish the request under way, take no other.
                    connection.as_mut().graceful_shutdown();
                    stopping = true;
                }
            }
        }
    }
}

/// What a connection did last, for its watchdog.
struct Activity {
    /// Requests being answered (several on HTTP/2).
    in_flight: AtomicUsize,
    /// When the last answer ended (or the connection opened), and when the
    /// first byte after it arrived, if one did.
    quiet: Mutex<Quiet>,
    /// Bytes read since the connection opened; compared, not shown.
    read: AtomicU64,
    /// Wakes the watchdog when its deadline moved: a request head started,
    /// or the last answer ended.
    changed: tokio::sync::Notify,
}

#[derive(Clone, Copy)]
struct Quiet {
    since: Instant,
    /// `read` when the quiet began: more means a request has started.
    read_at_start: u64,
    /// When a byte was first seen read after the quiet began.
    started: Option<Instant>,
}

impl Activity {
    fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            quiet: Mutex::new(Quiet {
                since: Instant::now(),
                read_at_start: 0,
                started: None,
            }),
            read: AtomicU64::new(0),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn quiet(&self) -> std::sync::MutexGuard<'_, Quiet> {
        self.quiet.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A request's head is complete: the watchdog waits for its answer.
    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Bytes arrived.
    fn on_read(&self, bytes: usize) {
        let total = self.read.fetch_add(bytes as u64, Ordering::SeqCst) + bytes as u64;
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            let mut quiet = self.quiet();
            if quiet.started.is_none() && total > quiet.read_at_start {
                quiet.started = Some(Instant::now());
                self.changed.notify_one();
            }
        }
    }

    /// When the connection is to be closed if nothing changes; `None` while
    /// a request is being answered.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let quiet = *self.quiet();
        Some(match quiet.started {
            Some(started) => started + limits.header_timeout,
            None => quiet.since + limits.idle_timeout,
        })
    }

    /// Resolves once the connection has been idle, or slow to send a head,
    /// for longer than allowed.
    async fn expired(&self, limits: &Limits) {
        loop {
            // A change stores a permit, so none is missed between the look
            // at the deadline and the wait.
            match self.deadline(limits) {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// A request being answered; dropped with its answer's body (sent, or
/// abandoned because the client went away).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        let mut quiet = activity.quiet();
        if activity.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            *quiet = Quiet {
                since: Instant::now(),
                read_at_start: activity.read.load(Ordering::SeqCst),
                started: None,
            };
            activity.changed.notify_one();
        }
    }
}

/// An answer's body, holding its request's [`InFlight`] until it is done.
struct Guarded {
    body: Body,
    _guard: InFlight,
}

impl HttpBody for Guarded {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, counting what it reads for the watchdog.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            self.activity.on_read(read);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
