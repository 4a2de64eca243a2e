//! `sourcing sandbox`: run the local sandbox that speaks every provider's API until Ctrl-C.

use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgAction, ArgMatches, Command};
use sourcing_sandbox::{FaultRule, Sandbox, SandboxConfig};

pub struct SandboxServer;

impl Subcommand for SandboxServer {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("sandbox")
            .about("Run the local sandbox that speaks every provider's API")
            .arg(
                Arg::new("port")
                    .long("port")
                    .value_parser(clap::value_parser!(u16))
                    .default_value("8080")
                    .help("Port on 127.0.0.1"),
            )
            .arg(
                Arg::new("fault")
                    .long("fault")
                    .action(ArgAction::Append)
                    .value_name("OP=FAULT[:N]")
                    .help("Inject a fault: OP is an operation id or *, FAULT one of latency-<ms>, <status>, drop, truncate, malformed, business-<code>; N limits it to the next N requests"),
            )
            .arg(crate::backend::emulate_arg())]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(serve(matches))
    }
}

async fn serve(m: &ArgMatches) -> Result<u8, Stop> {
    let port = m.get_one::<u16>("port").copied().unwrap_or(8080);
    let faults = m
        .get_many::<String>("fault")
        .into_iter()
        .flatten()
        .map(|f| FaultRule::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Stop::usage)?;
    let config = SandboxConfig {
        addr: ([127, 0, 0, 1], port).into(),
        signing: crate::backend::emulated(m)?,
        ..SandboxConfig::default()
    };
    print!("{}", sourcing_sandbox::banner(config.addr));
    tokio::select! {
        r = Sandbox::serve(config, faults) => r.map(|_| exit::OK).map_err(|e| Stop::config(format!("sandbox: {e}"))),
        _ = tokio::signal::ctrl_c() => Ok(exit::OK),
    }
}
