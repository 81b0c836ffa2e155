//! The release binary is a complete deployment: copied alone into an empty
//! folder, it serves its pages, styles, script and WebAssembly, and the
//! page hydrates. scripts/test builds it and names it in MUSTER_RELEASE_BIN.
use e2e::{http_request, Browser, Muster, MusterOptions};
use std::path::PathBuf;

fn release_copy(dir: &std::path::Path) -> PathBuf {
    let built = std::env::var_os("MUSTER_RELEASE_BIN")
        .expect("MUSTER_RELEASE_BIN must name the release binary (cargo leptos build --release)");
    let copy = dir.join("muster");
    std::fs::copy(&built, &copy).expect("copy the binary");
    copy
}

#[tokio::test]
async fn the_release_binary_alone_serves_a_working_app() {
    let dir = tempfile::tempdir().expect("dir");
    let binary = release_copy(dir.path());
    let muster = Muster::start(MusterOptions {
        binary: Some(binary),
        workdir: Some(dir.path().to_owned()),
        database: Some(dir.path().join("data.db")),
        environment: Some("sandbox"),
        ..Default::default()
    });
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("data.db"))
        .collect();
    assert_eq!(
        files,
        ["muster"],
        "nothing but the binary beside the database"
    );

    let wasm = http_request("GET", &muster.url("/pkg/muster.wasm"), &[], "").await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.headers["content-type"], "application/wasm");
    assert!(wasm.bytes.starts_with(b"\0asm"), "a WebAssembly module");
    let compressed = http_request(
        "GET",
        &muster.url("/pkg/muster.wasm"),
        &[("accept-encoding", "gzip, br")],
        "",
    )
    .await;
    assert_eq!(compressed.headers["content-encoding"], "br");
    println!(
        "release WASM: {} bytes, {} bytes with brotli",
        wasm.bytes.len(),
        compressed.bytes.len()
    );
    for (path, kind) in [
        ("/pkg/muster.js", "text/javascript"),
        ("/pkg/muster.css", "text/css"),
    ] {
        let res = http_request("GET", &muster.url(path), &[], "").await;
        assert_eq!(res.status, 200, "{path}");
        assert_eq!(res.headers["content-type"], kind, "{path}");
    }

    let browser = Browser::start().await;
    browser.sign_in_as(&muster, "responder").await;
    browser.goto(&muster.url("/notes")).await;
    browser.wait_hydrated().await;
    browser
        .fill("#team-note-body", "Served from one file")
        .await;
    browser.click("#team-note-form button[type=submit]").await;
    assert_eq!(
        browser
            .text_of(".note-list li:first-child .note-body")
            .await,
        "Served from one file"
    );
    assert!(browser.text_of(".env-banner").await.starts_with("SANDBOX"));
    browser.finish().await;
}
