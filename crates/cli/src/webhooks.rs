//! `sourcing webhooks --provider X`: receive a provider's callbacks, verify and deduplicate them, print each as
//! a JSON line (a stream, so it offers no other `--output`), answer 200 once it is written.

use crate::backend::{Backend, Flag, find_provider, providers};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgMatches, Command};
use sourcing_webhooks::{Callback, CallbackFormat, HandlerError, Receiver};

pub struct Webhooks;

impl Subcommand for Webhooks {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("webhooks")
            .about("Receive a provider's callbacks: verify, deduplicate, print each as a JSON line, answer 200")
            .long_about(
                "Receive a provider's callbacks on 127.0.0.1:PORT: verify them (Dajisaas: HMAC-SHA1 with \
                 DAJISAAS_APP_SECRET; PandaPon/Xportcn publish no signature), drop repeated deliveries, print each \
                 new message as one JSON line on stdout, and answer 200 once it is written. Malformed or oversized \
                 bodies get 4xx with the reason. Put a TLS proxy in front: the vendors require HTTPS.",
            )
            .arg(
                Arg::new("provider")
                    .long("provider")
                    .required(true)
                    .value_parser(clap::builder::PossibleValuesParser::new(
                        // The registry's providers whose callback format the receiver knows.
                        providers()
                            .iter()
                            .map(|p| p.name)
                            .filter(|name| CallbackFormat::NAMES.contains(name)),
                    ))
                    .help("Whose callbacks"),
            )
            .arg(
                Arg::new("port")
                    .long("port")
                    .value_parser(clap::value_parser!(u16))
                    .default_value("8090")
                    .help("Port on 127.0.0.1"),
            )
            .arg(Arg::new("path").long("path").default_value("/").help("Callback path"))
            .args(Flag::args(&[Flag::Config]))]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(receive(matches))
    }
}

async fn receive(m: &ArgMatches) -> Result<u8, Stop> {
    let port = m.get_one::<u16>("port").copied().unwrap_or(8090);
    let path = m
        .get_one::<String>("path")
        .cloned()
        .unwrap_or_else(|| "/".into());
    let name = m
        .get_one::<String>("provider")
        .map(String::as_str)
        .unwrap_or_default();
    let described = find_provider(name)?;
    let backend = Backend::from_matches(m).await?;
    // The signing key of the pushes is the provider's secret.
    let format = CallbackFormat::from_name(name, || backend.secret(described).map(Into::into))
        .ok_or_else(|| {
        Stop::usage(format!("{name} publishes no callbacks this receiver knows"))
    })??;
    // The unpublished HMAC input is a named variant (README, "Signing variants").
    let format = match format {
        CallbackFormat::Dajisaas(verifier) => CallbackFormat::Dajisaas(
            verifier.with_signed_input(backend.variant(described, "CALLBACK_SIGNED_INPUT")?),
        ),
        other => other,
    };
    eprintln!(
        "receiving {} callbacks on http://127.0.0.1:{port}{path}",
        format.name()
    );
    let handler = |cb: Callback| async move {
        let line = serde_json::to_string(&cb)?;
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
        Ok::<_, HandlerError>(())
    };
    let receiver = Receiver::new(format, handler).path(path);
    tokio::select! {
        r = receiver.serve(([127, 0, 0, 1], port).into()) => r.map(|_| exit::OK).map_err(|e| Stop::config(format!("webhooks: {e}"))),
        _ = tokio::signal::ctrl_c() => Ok(exit::OK),
    }
}
