//! The loops `muster serve` starts beside the router: each wakes on its
//! own interval, reads "now" from the state's clock, and logs (never
//! stops on) a failure, so one bad round waits for the next.
use app::{auth::AuthState, state::AppState};

/// Starts every job on the current runtime.
pub fn start(state: &AppState, auth: &AuthState) {
    tokio::spawn(sum_up_refusals(state.clone(), auth.refusals.clone()));
    tokio::spawn(keep_events(state.clone()));
    tokio::spawn(resolve_quiet_alerts(state.clone()));
    tokio::spawn(run_drill_clocks(state.clone()));
    tokio::spawn(
        app::reach::sender::Sender::new(auth.secret_key.clone(), state.outbound.clone())
            .run(state.db.clone(), state.clock.clone()),
    );
    tokio::spawn(escalate_calls(state.clone()));
}

/// Every five seconds: calls nobody acknowledged in time go to the role's
/// next backup.
async fn escalate_calls(state: AppState) {
    loop {
        let place = app::reach::Place {
            environment: state.environment,
            public_url: &state.public_url,
        };
        if let Err(err) =
            app::reach::route::escalate_due(&state.db, &place, state.clock.now()).await
        {
            tracing::warn!(error = %err, "could not escalate unanswered calls");
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// Writes the counts of refusals whose window has passed, so a flood that
/// stopped is still summed up in the audit log.
async fn sum_up_refusals(state: AppState, refusals: app::audit::refusals::Refusals) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        every.tick().await;
        let now = state.clock.now();
        if let Err(err) = app::audit::record_due_refusals(&state.db, &refusals, now).await {
            tracing::warn!(error = %err, "could not write the counts of refusals");
        }
    }
}

/// Every 30 seconds: alerts whose quiet period has passed resolve.
async fn resolve_quiet_alerts(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        every.tick().await;
        match app::alerts::db::sweep(&state.db.write, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(resolved = n, "quiet alerts resolved"),
            Err(err) => tracing::warn!(error = %err, "could not resolve quiet alerts"),
        }
    }
}

/// Drill clocks: releases each inject when its run's virtual time reaches
/// it and judges expectations as deadlines pass. It sleeps until the next
/// thing falls due, at most a second, so a facilitator's pause, resume or
/// speed change is followed within a second. What is due is worked out
/// from the stored clocks, so a restart mid-run releases nothing twice
/// and loses nothing.
async fn run_drill_clocks(state: AppState) {
    let most = std::time::Duration::from_secs(1);
    loop {
        let wait = match app::drills::run::tick(&state).await {
            Ok(Some(next)) => (next - state.clock.now())
                .to_std()
                .unwrap_or_default()
                .min(most),
            Ok(None) => most,
            Err(err) => {
                tracing::warn!(error = %err, "could not move the drill clocks on");
                most
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// Once a day (the first a minute after start): clears what an import
/// killed midway left, and deletes unlinked events past their source's
/// retention, recording both in the audit log.
async fn keep_events(state: AppState) {
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    let mut every = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
    loop {
        every.tick().await;
        let now = state.clock.now();
        if let Err(err) = app::events::import::clear_abandoned(&state.db.write, "muster", now).await
        {
            tracing::warn!(error = %err, "could not clear a stopped import");
        }
        // Events a review cites are evidence: retention keeps them.
        let cited = match state.db.read.acquire().await {
            Ok(mut conn) => app::reviews::db::cited_event_ids(&mut conn).await,
            Err(e) => Err(e),
        };
        let cited = match cited {
            Ok(cited) => cited,
            Err(err) => {
                // Fail closed: without the list, nothing is deleted today.
                tracing::warn!(error = %err, "could not read the events reviews cite; retention waits a day");
                continue;
            }
        };
        match app::events::retention::run(&state.db.write, now, &cited).await {
            Ok(deleted) => {
                for (source, n) in deleted {
                    tracing::info!(source, deleted = n, "events past their retention deleted");
                }
            }
            Err(err) => tracing::warn!(error = %err, "the events retention job failed"),
        }
    }
}
