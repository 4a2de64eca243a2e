//! progenitor panics on some documents; `client::generate` turns the panic into an error. The panic hook
//! it silences meanwhile is process-wide, so the swap is serialised: generations running in parallel each
//! get their own error, nothing is printed for them, and the hook in place before is back afterwards.
//! The check installs a process-wide panic hook, so it runs alone in a child process (this test binary
//! started again with only this test): other tests generating in parallel would swap the hook under it.

use sourcing_codegen::client;
use sourcing_codegen::spec::{ProviderSpec, parse};
use std::path::Path;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

static SPEC: LazyLock<String> = LazyLock::new(|| crate::demo::spec("{type: string}", "", ""));

/// The spec with a component progenitor panics on (a `$ref` to a schema that does not exist). The spec
/// rules would reject it; it is added after loading, to the document progenitor reads.
fn panicking(spec: &ProviderSpec, missing: &str) -> ProviderSpec {
    let mut spec = spec.clone();
    let schemas = spec
        .source
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(serde_yaml::Value::as_mapping_mut)
        .expect("the test spec has components.schemas");
    let reference = serde_yaml::Mapping::from_iter([(
        "$ref".into(),
        format!("#/components/schemas/{missing}").into(),
    )]);
    schemas.insert(format!("Uses{missing}").into(), reference.into());
    spec
}

const THREADS: usize = 8;
const ROUNDS: usize = 6;

static OUTER_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Set in the child process that runs the check alone.
const CHILD: &str = "SOURCING_PANIC_HOOK_CHILD";

#[test]
fn parallel_panicking_generations_each_get_their_error_and_the_hook_is_restored() {
    if std::env::var_os(CHILD).is_some() {
        return check_alone();
    }
    let name =
        "panic_hook::parallel_panicking_generations_each_get_their_error_and_the_hook_is_restored";
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .expect("the test binary starts again");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("1 passed"),
        "the check ran in the child: {text}"
    );
}

fn check_alone() {
    let spec = parse(&SPEC, Path::new("specs/demo.yaml")).expect("the test spec is valid");
    std::panic::set_hook(Box::new(|_| {
        OUTER_HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
    }));

    let start = std::sync::Barrier::new(THREADS);
    let results: Vec<(Option<String>, Result<(), String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (spec, start) = (&spec, &start);
                s.spawn(move || {
                    start.wait();
                    (0..ROUNDS)
                        .map(|round| {
                            // Every other generation is the valid spec, which must still succeed.
                            let missing =
                                ((t + round) % 2 == 0).then(|| format!("Missing{t}x{round}"));
                            let input = match &missing {
                                Some(m) => panicking(spec, m),
                                None => spec.clone(),
                            };
                            let outcome = client::generate(&input)
                                .map(|_| ())
                                .map_err(|e| e.to_string());
                            (missing, outcome)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no generation thread panics"))
            .collect()
    });

    assert_eq!(results.len(), THREADS * ROUNDS);
    let mut errors = 0;
    for (missing, outcome) in &results {
        match (missing, outcome) {
            (None, Ok(())) => {}
            (Some(m), Err(e)) => {
                errors += 1;
                assert!(
                    e.contains("progenitor panicked") && e.contains(&format!("schemas/{m} ")),
                    "its own panic, reported as an error: {e}"
                );
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(errors, THREADS * ROUNDS / 2);
    assert_eq!(
        OUTER_HOOK_CALLS.load(Ordering::SeqCst),
        0,
        "the caught panics were silenced"
    );

    // The hook installed before is back: a panic outside generation reaches it.
    let caught = std::panic::catch_unwind(|| panic!("outside generation"));
    assert!(caught.is_err());
    assert_eq!(OUTER_HOOK_CALLS.load(Ordering::SeqCst), 1);
    drop(std::panic::take_hook());
}
