use clap::Parser;
use server::{
    cli::{Cli, Command},
    serve,
    settings::Settings,
};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(raw) => {
            let settings = match Settings::from_raw(raw) {
                Ok(settings) => settings,
                Err(err) => {
                    eprintln!("muster: cannot start: {err}");
                    return ExitCode::from(2);
                }
            };
            server::logging::init(settings.log_format);
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    eprintln!("muster: cannot start the async runtime: {err}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve::run(settings)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("muster: cannot start: {err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
