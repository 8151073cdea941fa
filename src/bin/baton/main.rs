//! The `baton` command: serve (default), migrate, bench.
//!
//! The library (`baton`) is the application; this binary is its operator's
//! tools on top of it: the command line, the demonstration organisation of
//! `--demo` ([`demo`]) and the benchmarks of `baton bench` ([`bench`]). Both
//! tools use the library's public services and its assembly function
//! (`baton::rocket`), as any front end does, and ship in no library build.

mod bench;
mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rocket::fairing::AdHoc;

use baton::{Config, db, telemetry};

/// Memory freed after a burst (the demo load, a large report, a bench) goes
/// back to the system instead of staying in glibc's per-thread arenas: with
/// glibc the demo server held ~450 MB resident with ~10 MB in use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "baton",
    version,
    about = "Service agreements between departments, and how internal delays reach external customers",
    after_help = "Configuration: Baton.toml in the working directory, overridden by BATON_* variables (see README)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Load a demonstration organisation before serving (once) and print its logins.
    #[arg(long, global = true)]
    demo: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run a benchmark of SPEC appendix B and print one JSON line per figure.
    Bench {
        #[arg(value_enum)]
        scenario: bench::Scenario,
        /// Run at a small size, in seconds.
        #[arg(long)]
        quick: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => run_async(serve(cli.demo)),
        // Silently ignoring it would leave the operator wondering where the demo is.
        _ if cli.demo => {
            Err("--demo goes with serving: `baton --demo` or `baton serve --demo`".into())
        }
        Command::Migrate => run_async(migrate()),
        Command::Bench { scenario, quick } => bench::run(scenario, quick),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("baton: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(future: impl Future<Output = Result<(), String>> + Send) -> Result<(), String> {
    rocket::execute(future)
}

fn load_config() -> Result<Config, String> {
    let config = Config::from_figment(&Config::figment()).map_err(|error| error.to_string())?;
    // Checked here, said plainly; the server opens the transport itself.
    baton::mailer::Mailer::from_config(&config).map_err(|error| error.to_string())?;
    telemetry::init(&config);
    for notice in baton::config::env_notices() {
        tracing::warn!("{notice}");
    }
    Ok(config)
}

async fn migrate() -> Result<(), String> {
    let config = load_config()?;
    let pool = db::connect(&config.database_url, 2)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    db::migrate(&pool)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    println!("migrations applied");
    Ok(())
}

async fn serve(demo: bool) -> Result<(), String> {
    let config = load_config()?;
    let signing_key = config.signing_key().map_err(|error| error.to_string())?;
    let pool = db::connect(&config.database_url, config.db_max_connections)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    db::migrate(&pool)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    if demo {
        // The server builds its own cache; compiled calendars are cheap to redo.
        let calendars = baton::services::calendars::CalendarCache::default();
        let loaded = demo::load(&pool, &calendars)
            .await
            .map_err(|error| format!("cannot load the demo organisation: {error}"))?;
        let address = std::net::SocketAddr::new(config.address, config.port);
        println!("{}", loaded.banner(&format!("http://{address}")));
    }
    let public = std::net::SocketAddr::new(config.address, config.port);
    let header_timeout = config.request_header_timeout_seconds;
    let mut rocket = baton::rocket(config, pool, &signing_key);
    if header_timeout > 0 {
        // Bound before Rocket starts, so that a taken port stops the start.
        let listener = tokio::net::TcpListener::bind(public)
            .await
            .map_err(|error| format!("cannot listen on {public}: {error}"))?;
        let (tell_port, rocket_port) = tokio::sync::oneshot::channel();
        tokio::spawn(baton::front::serve(
            listener,
            rocket_port,
            std::time::Duration::from_secs(header_timeout),
        ));
        rocket = baton::front::behind(rocket, tell_port);
    }
    rocket
        .attach(AdHoc::on_liftoff("announce", move |_| {
            Box::pin(async move {
                println!("Baton listening on http://{public}");
                println!("API docs: http://{public}/api/docs");
            })
        }))
        .launch()
        .await
        .map(|_| ())
        .map_err(|error| format!("server failed: {error}"))
}
