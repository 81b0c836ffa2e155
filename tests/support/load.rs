//! A load generator on loopback: many requests from a number of callers at
//! once, each timed; the rate and latency percentiles of the whole run.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

/// What a run measured.
pub struct Load {
    pub requests: usize,
    /// The size of the last answer's body.
    pub size: usize,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Load {
    /// One line of figures.
    pub fn figures(&self) -> String {
        format!(
            "{:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} requests)",
            self.per_second,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3,
            self.requests
        )
    }
}

/// Sends `requests` requests made by `make(n)` from `callers` callers at
/// once (caller `c` sends requests c, c + callers, ...), each on a kept-
/// alive connection; every answer must have status `expect`.
pub async fn load(
    callers: usize,
    requests: usize,
    expect: u16,
    make: impl Fn(usize) -> hyper::Request<Full<Bytes>> + Send + Sync + 'static,
) -> Load {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let make = Arc::new(make);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for caller in 0..callers {
        let (client, make) = (client.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut size = 0;
            for n in (caller..requests).step_by(callers) {
                let req = make(n);
                let sent = Instant::now();
                let res = client.request(req).await.expect("response");
                let status = res.status().as_u16();
                let body = res.into_body().collect().await.expect("body").to_bytes();
                assert_eq!(status, expect, "{}", String::from_utf8_lossy(&body));
                times.push(sent.elapsed());
                size = body.len();
            }
            (times, size)
        }));
    }
    let mut times = Vec::new();
    let mut size = 0;
    for task in tasks {
        let (t, s) = task.await.expect("caller");
        times.extend(t);
        size = s;
    }
    let elapsed = started.elapsed();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    Load {
        requests: times.len(),
        size,
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        max: times[times.len() - 1],
    }
}
