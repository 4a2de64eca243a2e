//! `sourcing <provider> <operation> [--flags]`: every operation of every provider from the command line,
//! built from the generated operation tables. `sourcing sandbox` runs the local sandbox.

mod args;
mod buy;
mod call;
mod output;

use std::process::ExitCode;

/// Exit codes, documented in `--help`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 2;
    pub const CONFIG: u8 = 3;
    pub const TRANSPORT: u8 = 4;
    pub const BUSINESS: u8 = 5;
    pub const REQUEST: u8 = 6;
}

fn main() -> ExitCode {
    let matches = match args::command().try_get_matches() {
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
    ExitCode::from(runtime.block_on(call::run(matches)))
}
