use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

/// The binary built by `cargo leptos build`; MUSTER_BIN overrides it.
pub fn muster_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("MUSTER_BIN") {
        return PathBuf::from(bin);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug/muster")
}

/// The release build, for benchmarks; MUSTER_BIN overrides it.
pub fn release_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("MUSTER_BIN") {
        return PathBuf::from(bin);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("release/muster")
}

#[derive(Clone, Debug, Default)]
pub struct MusterOptions {
    pub environment: Option<&'static str>,
    pub demo: bool,
    /// Reuse a database file (for restarts); a fresh one otherwise.
    pub database: Option<PathBuf>,
    /// Another build of the binary (the release build); the debug one otherwise.
    pub binary: Option<PathBuf>,
    /// The working directory to run in; the test's own otherwise.
    pub workdir: Option<PathBuf>,
    /// The address to listen on (to come back on the same one after a
    /// restart); a free loopback port otherwise.
    pub bind: Option<String>,
    /// More arguments for `muster serve`.
    pub args: Vec<String>,
}

/// A running `muster serve`, stopped when dropped.
pub struct Muster {
    pub url: String,
    pub database: PathBuf,
    pub binary: PathBuf,
    users_added: std::sync::atomic::AtomicUsize,
    child: Child,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
    _dir: Option<tempfile::TempDir>,
}

impl Muster {
    pub fn start(options: MusterOptions) -> Muster {
        let (dir, database) = match options.database.clone() {
            Some(path) => (None, path),
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("muster.db");
                (Some(dir), path)
            }
        };
        let binary = options.binary.clone().unwrap_or_else(muster_binary);
        let mut cmd = Command::new(&binary);
        if let Some(dir) = &options.workdir {
            cmd.current_dir(dir);
        }
        cmd.arg("serve")
            .arg(format!(
                "--bind={}",
                options.bind.as_deref().unwrap_or("127.0.0.1:0")
            ))
            .arg(format!("--database={}", database.display()))
            .arg("--log-format=json")
            .arg(format!(
                "--env={}",
                options.environment.unwrap_or("production")
            ))
            .arg(format!("--demo={}", options.demo))
            .args(&options.args)
            .env_remove("MUSTER_PUBLIC_URL")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; build it first (cargo leptos build)",
                binary.display()
            )
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let mut printed = format!("{first}\n");
        // The welcome ends with how to stop; read it whole before going on.
        if first.starts_with("Muster is running at ") {
            for line in lines.by_ref().map_while(Result::ok) {
                printed.push_str(&line);
                printed.push('\n');
                if line.contains("Stop with Ctrl-C.") {
                    break;
                }
            }
        }
        let stdout = Arc::new(Mutex::new(printed));
        let out_sink = stdout.clone();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(mut s) = out_sink.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
        let Some(url) = first.strip_prefix("Muster is running at ") else {
            let _ = child.kill();
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "muster did not start: {first}\n{}",
                stderr.lock().map(|s| s.clone()).unwrap_or_default()
            );
        };
        Muster {
            url: url.trim().to_owned(),
            database,
            binary,
            users_added: Default::default(),
            child,
            stderr,
            stdout,
            _dir: dir,
        }
    }

    /// The server's process id (benchmarks read its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Runs SQL on a second connection to the server's database: changing
    /// it behind the server's back, as a fault would.
    pub async fn behind_the_back(&self, sql: &str) {
        use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
        let mut conn = SqliteConnectOptions::new()
            .filename(&self.database)
            .connect()
            .await
            .expect("side connection");
        sqlx::query(sql).execute(&mut conn).await.expect("side SQL");
        conn.close().await.expect("close");
    }

    /// What the server printed for the person who started it.
    pub fn printed(&self) -> String {
        self.stdout.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Creates an account with the command line, as an operator would, and
    /// returns its email and password.
    pub fn add_user(&self, role: &str) -> (String, String) {
        use std::io::Write;
        let n = self
            .users_added
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let email = format!("{role}{n}@example.com");
        let password = format!("{role} passphrase number {n}");
        let mut child = Command::new(&self.binary)
            .args([
                "user",
                "add",
                "--email",
                &email,
                "--name",
                &format!("{role} {n}"),
                "--role",
                role,
                "--password-stdin",
            ])
            .arg(format!("--database={}", self.database.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("muster user add");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("password");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "user add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (email, password)
    }

    /// Waits until the log has a line for which `ok` holds, and returns the
    /// whole log (lines arrive a little after the response they describe).
    pub fn wait_for_log(&self, ok: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + crate::PATIENCE;
        loop {
            let logs = self.logs();
            if logs.lines().any(&ok) || std::time::Instant::now() > deadline {
                return logs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the server has logged so far.
    pub fn logs(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Asks the server to stop as an operator would (SIGTERM) and waits.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("wait")
    }
}

impl Drop for Muster {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
