//! What each provider can do in the purchase flow: each provider file's static table (`crate::providers`),
//! used by [`crate::Buyer`] before it sends anything and rendered into the README by [`markdown_table`].

use std::fmt;

/// A provider of the purchase flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Pandapon,
    Dajisaas,
    Xportcn,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Pandapon, Provider::Dajisaas, Provider::Xportcn];

    /// The provider's description: the generated crate's `operations::PROVIDER` (name, title, envelope,
    /// credentials, operation table).
    pub fn description(self) -> &'static sourcing_runtime::Provider {
        self.registration().description
    }

    /// Lower-case name, as in the CLI (`--provider pandapon`) and the sandbox's paths.
    pub fn name(self) -> &'static str {
        self.description().name
    }

    /// Display name (`PandaPon`).
    pub fn title(self) -> &'static str {
        self.description().title
    }

    /// The facade over this provider's generated client at `base_url`, signed by `runtime` (for example
    /// `Runtime::for_provider(provider.description(), &credentials, &settings)`).
    pub fn buyer(self, base_url: &str, runtime: sourcing_runtime::Runtime) -> crate::Buyer {
        (self.registration().connect)(base_url, runtime)
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// What this provider supports, step by step (every [`Step`], in [`Step::ALL`] order).
    pub fn capabilities(self) -> &'static [(Step, Support)] {
        self.registration().capabilities
    }

    /// How this provider supports `step`.
    pub fn support(self, step: Step) -> Support {
        self.capabilities()
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, support)| *support)
            .unwrap_or(Support::NotAvailable {
                reason: "not in the capability table",
            })
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// A step of the 1688 purchase flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Search,
    ProductDetail,
    Preview,
    CreateOrder,
    Pay,
    PayBatch,
    OrderStatus,
    Cancel,
    ConfirmReceipt,
    Logistics,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Search,
        Step::ProductDetail,
        Step::Preview,
        Step::CreateOrder,
        Step::Pay,
        Step::PayBatch,
        Step::OrderStatus,
        Step::Cancel,
        Step::ConfirmReceipt,
        Step::Logistics,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Search => "keyword search",
            Step::ProductDetail => "product detail",
            Step::Preview => "order preview (price + freight)",
            Step::CreateOrder => "create order",
            Step::Pay => "pay one order",
            Step::PayBatch => "pay a batch",
            Step::OrderStatus => "order status / detail",
            Step::Cancel => "cancel",
            Step::ConfirmReceipt => "confirm receipt",
            Step::Logistics => "logistics",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a provider supports a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// The vendor publishes the method, path and the fields the step sends; `operation` is the generated
    /// client's operation id.
    Published { operation: &'static str },
    /// Known only from third-party clients, unconfirmed by the vendor; compiled only with `feature`.
    ThirdParty {
        operation: &'static str,
        feature: &'static str,
    },
    /// Not available through the facade, and why.
    NotAvailable { reason: &'static str },
}

impl Support {
    /// Short label for tables: `published`, `third-party`, `not available`.
    pub fn label(&self) -> &'static str {
        match self {
            Support::Published { .. } => "published",
            Support::ThirdParty { .. } => "third-party",
            Support::NotAvailable { .. } => "not available",
        }
    }

    /// Whether this build can run the step (third-party steps need their feature).
    pub fn is_enabled(&self) -> bool {
        match self {
            Support::Published { .. } => true,
            Support::ThirdParty { feature, .. } => feature_enabled(feature),
            Support::NotAvailable { .. } => false,
        }
    }
}

fn feature_enabled(feature: &str) -> bool {
    feature == "dajisaas-unconfirmed" && cfg!(feature = "dajisaas-unconfirmed")
}

use Support::{NotAvailable, Published, ThirdParty};

/// The capability table as Markdown (step × provider), with each "not available" reason as a numbered note.
/// The README section between `<!-- capabilities:start -->` and `<!-- capabilities:end -->` is this text;
/// a test of this crate fails when they differ (`UPDATE_CAPABILITIES=1` rewrites it).
pub fn markdown_table() -> String {
    let mut out = String::from("| step |");
    for p in Provider::ALL {
        out.push_str(&format!(" {} |", p.title()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Provider::ALL.len()));
    out.push('\n');
    let mut notes: Vec<String> = Vec::new();
    for step in Step::ALL {
        out.push_str(&format!("| {} |", step.name()));
        for p in Provider::ALL {
            let cell = match p.support(step) {
                Published { operation } => format!("published (`{operation}`)"),
                ThirdParty { operation, feature } => {
                    format!("third-party (`{operation}`, feature `{feature}`)")
                }
                NotAvailable { reason } => {
                    notes.push(format!("{} {}: {reason}", p.title(), step.name()));
                    format!("not available [{}]", notes.len())
                }
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push('\n');
    for (i, note) in notes.iter().enumerate() {
        out.push_str(&format!("{}. {note}.\n", i + 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_states_every_step_once_in_order() {
        for p in Provider::ALL {
            let steps: Vec<Step> = p.capabilities().iter().map(|(s, _)| *s).collect();
            assert_eq!(steps, Step::ALL, "{p}");
        }
    }

    #[test]
    fn published_operations_exist_in_the_generated_tables() {
        for p in Provider::ALL {
            let table = p.description();
            for (step, support) in p.capabilities() {
                let find = |id: &str| table.operations.iter().find(|op| op.id == id);
                match support {
                    Published { operation } => {
                        let op = find(operation)
                            .unwrap_or_else(|| panic!("{p} {step}: no operation {operation}"));
                        assert_eq!(
                            op.evidence, None,
                            "{p} {step}: {operation} is not published"
                        );
                    }
                    // The sandbox (a dev-dependency) compiles the third-party operations into the tables.
                    ThirdParty { operation, .. } => {
                        let op = find(operation)
                            .unwrap_or_else(|| panic!("{p} {step}: no operation {operation}"));
                        assert!(
                            op.evidence.is_some(),
                            "{p} {step}: {operation} carries no x-evidence"
                        );
                    }
                    NotAvailable { .. } => {}
                }
            }
        }
    }
}
