use clap::Parser;
use server::{
    cli::{
        commands::{self, Failure, NewUser},
        AuditCommand, BackupCommand, Cli, Command, KeysCommand, PlansCommand, UserCommand,
    },
    serve,
    settings::Settings,
};
use std::process::ExitCode;

/// Rendering a page makes many small allocations; mimalloc serves them
/// faster than the system allocator under many threads (see the
/// incident benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before anything is opened: every file Muster writes is its own alone.
    server::files::private_from_now_on();
    let cli = Cli::parse();
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
            match runtime.block_on(serve::run(settings)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("muster: cannot start: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::User(UserCommand::Add {
            database,
            email,
            name,
            role,
            admin,
            password_stdin,
        }) => finish(runtime.block_on(async move {
            let role = match (admin, role) {
                (true, _) => app::auth::Role::Admin,
                (false, Some(r)) => r
                    .parse()
                    .map_err(|e| Failure(format!("--role is wrong: {e}"), 2))?,
                (false, None) => app::auth::Role::Viewer,
            };
            let (password, password_repeat) = read_password(password_stdin)?;
            commands::user_add(
                database,
                NewUser {
                    email,
                    name,
                    role,
                    password,
                    password_repeat,
                },
            )
            .await
        })),
        Command::Audit(AuditCommand::Verify { database, expect }) => {
            finish(runtime.block_on(commands::audit_verify(database, expect)))
        }
        Command::User(UserCommand::ResetMfa { database, email }) => {
            finish(runtime.block_on(commands::user_reset_mfa(database, email)))
        }
        Command::Import {
            database,
            file,
            format,
            map,
            max_records,
        } => finish(runtime.block_on(server::cli::import::import_events(
            database,
            server::cli::import::EventImport {
                file,
                format,
                map,
                max_records,
            },
        ))),
        Command::Source(command) => finish(runtime.block_on(server::cli::source::run(command))),
        Command::Channel(command) => finish(runtime.block_on(server::cli::channel::run(command))),
        Command::Backup(BackupCommand::Create { database, out, key }) => {
            finish(runtime.block_on(server::cli::backup::create(database, out, key.key_file)))
        }
        Command::Backup(BackupCommand::Verify { file, key }) => {
            finish(runtime.block_on(server::cli::backup::verify(file, key.key_file)))
        }
        Command::Backup(BackupCommand::Restore {
            file,
            database,
            replace,
            key,
        }) => finish(runtime.block_on(server::cli::backup::restore(
            file,
            database,
            replace,
            key.key_file,
        ))),
        Command::Backup(BackupCommand::Drill {
            database,
            file,
            backup_dir,
            key,
        }) => finish(runtime.block_on(server::cli::backup::drill(
            database,
            file,
            backup_dir,
            key.key_file,
        ))),
        Command::Keys(KeysCommand::Rotate { database }) => {
            finish(runtime.block_on(commands::keys_rotate(database)))
        }
        Command::Plans(PlansCommand::Export { database, out }) => {
            finish(runtime.block_on(commands::plans_export(database, out)))
        }
        Command::Plans(PlansCommand::Import {
            database,
            file,
            author,
        }) => finish(runtime.block_on(commands::plans_import(database, file, author))),
    }
}

/// The password twice from the terminal, or once from standard input.
fn read_password(from_stdin: bool) -> Result<(String, String), Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((password.clone(), password));
    }
    let first = rpassword::prompt_password("Password (at least 12 characters): ")?;
    let second = rpassword::prompt_password("Repeat password: ")?;
    Ok((first, second))
}

fn finish(result: Result<String, Failure>) -> ExitCode {
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(Failure(message, code)) => {
            eprintln!("muster: {message}");
            ExitCode::from(code)
        }
    }
}
