//! `sourcing <provider> <operation> [--flags]`: every operation of every provider from the command line,
//! built from the generated operation tables. `sourcing sandbox` runs the local sandbox; `sourcing mcp` serves
//! every operation as a guarded Model Context Protocol tool. The command tree and dispatch: [`sourcing_cli::app`].

mod logging;

use sourcing_cli::{app, exit};
use std::process::ExitCode;

fn main() -> ExitCode {
    let matches = match app::command().try_get_matches_from(app::hoist(std::env::args_os())) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    logging::init(&matches);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::CONFIG);
        }
    };
    ExitCode::from(runtime.block_on(app::run(matches)))
}
