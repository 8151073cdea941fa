//! The `baton` command: serve (default), migrate, bench.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rocket::fairing::AdHoc;

use baton::{Config, bench, db, telemetry};

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
    telemetry::init(&config);
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
        let loaded = baton::demo::load(&pool, &calendars)
            .await
            .map_err(|error| format!("cannot load the demo organisation: {error}"))?;
        let address = std::net::SocketAddr::new(config.address, config.port);
        println!("{}", loaded.banner(&format!("http://{address}")));
    }
    baton::rocket(config, pool, &signing_key)
        .attach(AdHoc::on_liftoff("announce", |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                println!(
                    "Baton listening on http://{}:{}",
                    config.address, config.port
                );
                println!(
                    "API docs: http://{}:{}/api/docs",
                    config.address, config.port
                );
            })
        }))
        .launch()
        .await
        .map(|_| ())
        .map_err(|error| format!("server failed: {error}"))
}
