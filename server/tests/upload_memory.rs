//! Who may send is decided before any body is read: uploads sent in chunks
//! (no length to refuse them by) by people who may not upload are refused
//! without reading them, and the process's memory stays flat. This file is
//! its own test process, so its peak memory is this test's alone.
mod support;

use app::{auth::Role, environment::Environment};
use axum::{
    body::{Body, Bytes},
    http::Request,
};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};
use support::{spawn_app, ORIGIN};

const MIB: usize = 1 << 20;

/// The process's peak resident memory so far (VmHWM), in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

/// A multipart upload of `mib` MiB, sent in 1 MiB chunks made only when
/// the server asks for them (each of them ready at once: a sender faster
/// than any disk); `pulled` counts the chunks it asked for.
fn chunked_upload(mib: usize, pulled: Arc<AtomicUsize>) -> Body {
    let head =
        "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.ndjson\"\r\n\r\n";
    let chunks = std::iter::once(Ok::<_, std::io::Error>(Bytes::from(head))).chain(
        std::iter::repeat_with(move || {
            pulled.fetch_add(1, Ordering::Relaxed);
            Ok(Bytes::from(vec![b' '; MIB]))
        })
        .take(mib),
    );
    Body::from_stream(futures_util::stream::iter(chunks))
}

fn post(origin: Option<&str>, cookie: Option<&str>, body: Body) -> Request<Body> {
    let mut req = Request::post("/event-files")
        .header("content-type", "multipart/form-data; boundary=x")
        .header("cookie", cookie.unwrap_or(""));
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    req.body(body).expect("request")
}

#[tokio::test]
async fn chunked_uploads_from_those_who_may_not_upload_are_never_read() {
    let app = spawn_app(Environment::Production).await;
    // An account exists, so anonymous callers meet sign-in, not setup.
    let viewer = app.session_for(Role::Viewer).await;
    let responder = app.session_for(Role::Responder).await;
    let editor = app.session_for(Role::Editor).await;
    let before = peak_rss();

    // Anonymous without Origin, anonymous with our Origin, a viewer and a
    // responder (who may not upload): ten of each, in parallel, each 64 MiB.
    let callers: [(Option<&str>, Option<&str>, u16); 4] = [
        (None, None, 403),
        (Some(ORIGIN), None, 401),
        (Some(ORIGIN), Some(viewer.as_str()), 403),
        (Some(ORIGIN), Some(responder.as_str()), 403),
    ];
    let pulled = Arc::new(AtomicUsize::new(0));
    let sends = callers.iter().flat_map(|(origin, cookie, _)| {
        let pulled = pulled.clone();
        let app = &app;
        (0..10).map(move |_| app.send(post(*origin, *cookie, chunked_upload(64, pulled.clone()))))
    });
    let answers = futures_util::future::join_all(sends).await;
    for (n, answer) in answers.iter().enumerate() {
        let expected = callers[n / 10].2;
        assert_eq!(
            answer.status.as_u16(),
            expected,
            "caller {}: {}",
            n / 10,
            answer.body
        );
    }
    assert_eq!(
        pulled.load(Ordering::Relaxed),
        0,
        "not one chunk of a refused upload was read"
    );
    let grown = || peak_rss().saturating_sub(before) / MIB;
    assert!(
        grown() < 64,
        "40 refused uploads of 64 MiB raised peak memory by {} MiB",
        grown()
    );

    // An editor may upload: a file past the limit is streamed (to disk,
    // then refused at the limit), never held whole.
    let pulled = Arc::new(AtomicUsize::new(0));
    let answer = app
        .send(post(
            Some(ORIGIN),
            Some(&editor),
            chunked_upload(102, pulled.clone()),
        ))
        .await;
    assert_eq!(answer.status.as_u16(), 413, "{}", answer.body);
    assert!(answer.body.contains("100 MB"), "{}", answer.body);
    assert!(
        pulled.load(Ordering::Relaxed) <= 101,
        "reading stopped at the limit"
    );
    assert!(
        grown() < 64,
        "an editor's 102 MiB upload raised peak memory by {} MiB",
        grown()
    );
    // Nothing of it is left beside the database.
    let dir = app.db_path.parent().expect("folder");
    let left: Vec<_> = std::fs::read_dir(dir)
        .expect("folder")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".muster-upload-")
        })
        .collect();
    assert!(left.is_empty(), "no upload file is left behind");
}
