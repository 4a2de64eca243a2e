//! `-v`/`-vv` and `RUST_LOG`: the runtime's tracing (one `sourcing.call` span per call, retries and refusals
//! inside it) printed to stderr. `-v`: request line, response status, retries, refusals and failures;
//! `-vv`: also the request headers (values redacted) and a prefix of the response body. `RUST_LOG`
//! (`target=level,...` or a level) replaces both. `--log-format json`: one JSON object per line
//! (tracing-subscriber's JSON formatter). Secrets and signatures are never logged by the runtime.

use clap::ArgMatches;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;

/// The filter for `verbose` and `rust_log`; `None`: log nothing (the default).
fn filter(verbose: u8, rust_log: Option<&str>) -> Result<Option<Targets>, String> {
    if let Some(spec) = rust_log.filter(|s| !s.trim().is_empty()) {
        return spec
            .parse::<Targets>()
            .map(Some)
            .map_err(|e| format!("RUST_LOG={spec:?} is not `target=level,...`: {e}"));
    }
    let level = match verbose {
        0 => return Ok(None),
        1 => "debug",
        _ => "trace",
    };
    Ok(Some(
        format!("warn,sourcing_runtime={level}")
            .parse()
            .map_err(|e| format!("{e}"))?,
    ))
}

/// Install the stderr subscriber the flags and `RUST_LOG` ask for, if any.
pub fn init(matches: &ArgMatches) {
    let verbose = matches.get_count("verbose");
    let rust_log = std::env::var("RUST_LOG").ok();
    let targets = match filter(verbose, rust_log.as_deref()) {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(e) => {
            eprintln!("warning: {e}; logging is off");
            return;
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE);
    let _ = if sourcing_cli::app::json_logs(matches) {
        tracing::subscriber::set_global_default(builder.json().finish().with(targets))
    } else {
        tracing::subscriber::set_global_default(builder.finish().with(targets))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn flags_and_rust_log() {
        assert!(filter(0, None).unwrap().is_none());
        let v = filter(1, None).unwrap().unwrap();
        assert!(v.would_enable("sourcing_runtime::runtime", &tracing::Level::DEBUG));
        assert!(!v.would_enable("sourcing_runtime::runtime", &tracing::Level::TRACE));
        assert!(!v.would_enable("hyper", &tracing::Level::INFO));
        let vv = filter(2, None).unwrap().unwrap();
        assert!(vv.would_enable("sourcing_runtime::observe", &tracing::Level::TRACE));
        let env = filter(0, Some("hyper=info")).unwrap().unwrap();
        assert!(env.would_enable("hyper::client", &tracing::Level::INFO));
        assert_eq!(env.default_level(), None::<LevelFilter>);
        assert!(filter(2, Some("=nonsense=")).is_err());
    }
}
