//! What each provider can do in the purchase flow: each provider's [`FlowRegistration`] (its description,
//! its capability table and how to connect), used by [`crate::Buyer`] before it sends anything and
//! rendered into the README by [`markdown_table`].

use std::fmt;
use std::hash::{Hash, Hasher};

/// What the facade knows about a provider without a client: its API description, what it supports step
/// by step, and how to build a [`crate::Buyer`] over it. Any crate can declare one
/// (`pub static ACME: FlowRegistration = FlowRegistration::new(…)`) and hand out
/// [`Flow::new(&ACME)`](Flow::new); the built-in ones are in [`crate::providers`].
#[non_exhaustive]
pub struct FlowRegistration {
    /// The API description (the generated crate's `operations::PROVIDER`: name, title, envelope,
    /// credentials, operation table).
    pub description: &'static sourcing_runtime::Provider,
    /// Every [`Step`], in [`Step::ALL`] order, with how the provider supports it.
    pub capabilities: &'static [(Step, Support)],
    /// The facade over the provider's client at `base_url`, signed by `runtime`.
    pub connect: fn(&str, sourcing_runtime::Runtime) -> crate::Buyer,
}

impl FlowRegistration {
    /// A registration: `description`, the capability table (every [`Step`] once, in [`Step::ALL`]
    /// order; a step left out is not available) and `connect`, which builds the buyer at a base URL.
    pub const fn new(
        description: &'static sourcing_runtime::Provider,
        capabilities: &'static [(Step, Support)],
        connect: fn(&str, sourcing_runtime::Runtime) -> crate::Buyer,
    ) -> Self {
        FlowRegistration {
            description,
            capabilities,
            connect,
        }
    }
}

impl fmt::Debug for FlowRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowRegistration")
            .field("name", &self.description.name)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

/// A provider's purchase flow: a copyable handle over its [`FlowRegistration`] — the provider's name and
/// title, what it supports step by step, and how to connect a [`crate::Buyer`]. Equal, hashed and shown by
/// the provider's name. Not to be confused with the provider's API description
/// (`sourcing_runtime::Provider`, [`Flow::description`]). The built-in ones are
/// [`crate::providers::PANDAPON`], [`crate::providers::DAJISAAS`] and [`crate::providers::XPORTCN`]; the
/// list of every provider's flow is the registry's (`sourcing_registry::flows()`).
#[derive(Clone, Copy)]
pub struct Flow(&'static FlowRegistration);

impl Flow {
    /// The flow `registration` describes.
    pub const fn new(registration: &'static FlowRegistration) -> Self {
        Flow(registration)
    }

    /// Its registration.
    pub fn registration(self) -> &'static FlowRegistration {
        self.0
    }

    /// The provider's description: the generated crate's `operations::PROVIDER` (name, title, envelope,
    /// credentials, operation table).
    pub fn description(self) -> &'static sourcing_runtime::Provider {
        self.0.description
    }

    /// Lower-case name, as in the CLI (`--provider pandapon`) and the sandbox's paths.
    pub fn name(self) -> &'static str {
        self.description().name
    }

    /// Display name (`PandaPon`).
    pub fn title(self) -> &'static str {
        self.description().title
    }

    /// The facade over this provider's client at `base_url`, signed by `runtime` (for example
    /// `Runtime::for_provider(provider.description(), &credentials, &settings)`).
    pub fn buyer(self, base_url: &str, runtime: sourcing_runtime::Runtime) -> crate::Buyer {
        (self.0.connect)(base_url, runtime)
    }

    /// What this provider supports, step by step (every [`Step`], in [`Step::ALL`] order).
    pub fn capabilities(self) -> &'static [(Step, Support)] {
        self.0.capabilities
    }

    /// How this provider supports `step` (not available when its table leaves the step out).
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

impl PartialEq for Flow {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Flow {}

impl Hash for Flow {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Flow").field(&self.name()).finish()
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// A step of the 1688 purchase flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Keyword search among 1688 offers.
    Search,
    /// A 1688 offer's details.
    ProductDetail,
    /// Prices and freight of an order, without ordering.
    Preview,
    /// Creating an order.
    CreateOrder,
    /// Paying one order.
    Pay,
    /// Paying several orders in one call.
    PayBatch,
    /// Reading an order's state and details.
    OrderStatus,
    /// Cancelling an unpaid order.
    Cancel,
    /// Confirming that the goods arrived.
    ConfirmReceipt,
    /// An order's logistics.
    Logistics,
}

impl Step {
    /// Every step, in the order of the purchase flow (and of every capability table).
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

    /// The step as the capability table names it (`keyword search`).
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

/// How a provider supports a step. Exhaustive on purpose: these are the project's three levels of evidence
/// (published by the vendor, known only from third parties, not available), and every caller decides on each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// The vendor publishes the method, path and the fields the step sends; `operation` is the generated
    /// client's operation id.
    Published {
        /// The client's operation id.
        operation: &'static str,
    },
    /// Known only from third-party clients, unconfirmed by the vendor; compiled only with `feature`.
    ThirdParty {
        /// The client's operation id.
        operation: &'static str,
        /// The cargo feature of `sourcing-buy` that compiles it.
        feature: &'static str,
    },
    /// Not available through the facade, and why.
    NotAvailable {
        /// Why, citing the vendor's documents.
        reason: &'static str,
    },
}

impl Support {
    /// [`Support::Published`]: the vendor publishes `operation` (the client's operation id).
    pub const fn published(operation: &'static str) -> Self {
        Support::Published { operation }
    }

    /// [`Support::ThirdParty`]: `operation` is known only from third-party clients; compiled with `feature`.
    pub const fn third_party(operation: &'static str, feature: &'static str) -> Self {
        Support::ThirdParty { operation, feature }
    }

    /// [`Support::NotAvailable`], and why.
    pub const fn not_available(reason: &'static str) -> Self {
        Support::NotAvailable { reason }
    }

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

/// The capability table of `providers` as Markdown (step × provider), with each "not available" reason as
/// a numbered note. The section of `docs/purchase-flow.md` between `<!-- capabilities:start -->` and
/// `<!-- capabilities:end -->` is this text for the registry's providers; a test of this crate fails when
/// they differ (`UPDATE_CAPABILITIES=1` rewrites it).
pub fn markdown_table(providers: &[Flow]) -> String {
    let mut out = String::from("| step |");
    for p in providers {
        out.push_str(&format!(" {} |", p.title()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(providers.len()));
    out.push('\n');
    let mut notes: Vec<String> = Vec::new();
    for step in Step::ALL {
        out.push_str(&format!("| {} |", step.name()));
        for p in providers {
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
